"""Every user-facing sentence of the bot package, in Simplified Chinese, in one place."""

STALE_BUTTON = "这个按钮已失效，请以最新消息为准。"
NOT_REGISTERED = "您还没有在社区登记。居民请直接发消息告诉我需要什么帮助；志愿者请使用社区给的邀请链接。"
SOMETHING_WRONG = "抱歉，系统开小差了，请稍后再试。您的操作没有生效。"

DONE = {
    "claim": "接单成功！居民的联系方式已发给您。",
    "decline": "好的，这单不打扰您了。",
    "start": "已告诉居民您出发了，路上注意安全。",
    "release": "已放弃，社区会重新安排。",
    "finish": "已记录完成，谢谢您的付出！",
    "publish": "已发布给志愿者。",
    "reject": "已驳回并告知居民。",
    "confirm": "谢谢确认！",
    "reopen": "抱歉没能解决，已重新安排，网格长会跟进。",
    "rate": "感谢您的评价！",
    "dispatch": "已派单。",
}

ASK_HOURS = "编号 {id}：这次服务用了多长时间？"
HOURS_DEFAULT = "{hours} 小时（默认）"
HOURS_OPTION = "{hours} 小时"
ASK_REJECT_REASON = "请回复驳回编号 {id} 的原因（会告诉居民）。"
ASK_REASSIGN = "编号 {id}：改派给谁？"
NO_CANDIDATES = "编号 {id} 暂无可改派的志愿者，请在后台人工处理。"
TAKEN_CARD = "【编号 {id}】已被认领，谢谢您的关注。"

# --- volunteers ---
VOL_WELCOME = "欢迎您加入志愿服务，{name}！所在服务队：{teams}。\n有新的诉求会发到这里，点【接单】即可认领。/tasks 查看手上的任务，/me 查看服务时长和积分，/pause 暂停接单。"
VOL_NO_TEAM = "暂未加入服务队"
VOL_NOT_VOLUNTEER = "您还不是登记的志愿者。请使用社区工作人员给您的邀请链接加入。"
VOL_TEAMS = "请选择您愿意参加的服务队（可多选，再点一次取消）："
VOL_TEAMS_SAVED = "已保存。"
VOL_PAUSED = "已暂停接单，新的诉求暂时不会发给您。恢复请发 /resume。"
VOL_RESUMED = "已恢复接单，有合适的诉求会第一时间通知您。"
VOL_NO_TASKS = "您手上暂时没有进行中的任务。"
VOL_TASK = "编号 {id}（{state}）{category}\n内容：{summary}\n居民：{resident}  电话：{phone}\n地址：{address}\n约定时间：{time}  办结时限：{due}"
VOL_ME = "{name}\n服务时长：{hours} 小时  积分：{points}\n平均评分：{avg}（{count} 次评价）\n在办：{load}/{limit}  状态：{status}\n服务队：{teams}\n可服务时间：{note}"
VOL_STATUS_ON = "接单中"
VOL_STATUS_OFF = "已暂停"
VOL_FIRST_TASK_HINT = "还没有完成过任务，期待您的第一单！"

# --- residents ---
RES_CONSENT = ("您好，这里是社区“暖心”服务。\n为了帮您联系志愿者，我们需要记录您的称呼、电话和住址，只给接单的志愿者和社区工作人员看，"
               "不作其他用途。您同意吗？")
RES_CONSENT_YES = "同意"
RES_CONSENT_NO = "不同意"
RES_CONSENT_THANKS = "谢谢您的信任！"
RES_CONSENT_DECLINED = "好的，我们不会记录您的信息。需要帮助时，也可以直接给社区打电话。想好了随时发 /start。"
RES_NEED_CONSENT = "请先发 /start 并同意使用您的联系方式，我们才能为您登记。"
RES_MENU = "请问需要什么帮助？可以直接打字告诉我，也可以点下面的按钮。"
RES_MENU_SERVICE = "预约便民服务"
RES_MENU_WISH = "许个微心愿"
RES_MENU_MY = "我的诉求"
RES_CHOOSE_CATEGORY = "请选择服务项目："
RES_ASK_DESCRIPTION = "请简单说说需要什么帮助，比如：厨房水管漏水。"
RES_USE_DRAFT = "就用刚才说的：{text}"
RES_ASK_ADDRESS = "请告诉我地址，比如：3号楼2单元502。"
RES_USE_ADDRESS = "就在家：{address}"
RES_ASK_PHONE = "请留一个联系电话，志愿者接单后会打给您。可以点下面的按钮分享，也可以直接输入。"
RES_SHARE_PHONE = "分享我的手机号"
RES_OWN_CONTACT = "请分享您自己的手机号，或直接输入号码。"
RES_PHONE_SAVED = "电话已记下。"
RES_CONFIRM = "请确认：\n项目：{category}\n内容：{description}\n地址：{address}\n没问题就点【提交】。"
RES_SUBMIT = "提交"
RES_ABORT = "取消"
RES_ABORTED = "好的，已取消，没有提交任何内容。"
RES_SUBMITTED = "已提交，请留意后续消息。"
RES_FALLBACK = "抱歉，智能助手暂时不在线。您刚才说的话我已经记下了，请点选服务项目，我们一步一步来。"
RES_GUIDED = "我们一步一步来：请先选择服务项目。"
RES_NO_REQUESTS = "您还没有提交过诉求。"
RES_MY_HEAD = "您最近的诉求："
RES_MY_LINE = "编号 {id}｜{state}｜{category}：{summary}（{at}）"
RES_URGE = "催一下 {id}"
RES_CANCEL = "取消 {id}"
RES_CANCELLED = "编号 {id} 已取消。"
