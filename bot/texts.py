"""Every user-facing sentence of the bot package, in Simplified Chinese, in one place."""

STALE_BUTTON = "这个按钮已失效，请以最新消息为准。"
NOT_REGISTERED = "您还没有在社区登记。居民请直接发消息告诉我需要什么帮助；志愿者请使用社区给的邀请链接。"
SOMETHING_WRONG = "抱歉，系统开小差了，请稍后再试。如果一直不行，请直接联系社区工作人员。"
# The database did not answer for a few seconds: the message is kept and handled when it does.
BUSY = "系统繁忙，稍后为您处理，不用重复发送。"

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
    "unassign": "已收回，正在重新发给其他志愿者。",
}

ASK_HOURS = "编号 {id}：这次服务用了多长时间？"
HOURS_DEFAULT = "{hours} 小时（默认）"
HOURS_OPTION = "{hours} 小时"
ASK_REJECT_REASON = "请回复驳回编号 {id} 的原因（会告诉居民）。"
ASK_REASSIGN = "编号 {id}：改派给谁？"
NO_CANDIDATES = "编号 {id} 暂无可改派的志愿者，请在后台人工处理。"
UNASSIGN_BUTTON = "收回，重新发给其他志愿者"
TAKEN_CARD = "【编号 {id}】已被认领，谢谢您的关注。"

# --- by role: /start, /help, unknown commands, free text from someone who is not a resident ---
HELP_STAFF = (
    "您好，{name}（社区工作人员）。\n/queue 待办队列（审核、派单、预警、回访）\n/stats 统计\n/order 代居民下单\n"
    "/invite 生成志愿者邀请链接\n/linkcode 手机号：给表格里登记、还没绑定 Telegram 的志愿者生成绑定码\n/export 导出台账"
)
HELP_LEADER = (
    "您好，{name}（网格长）。您网格的催办、预警、超期和回访提醒会发到这里，点消息里的按钮处理。\n/order 代居民下单"
)
HELP_VOLUNTEER = (
    "您好，{name}（志愿者）。有新的诉求会发到这里，点【接单】即可认领。\n/tasks 手上的任务\n/me 服务时长和积分\n"
    "/teams 选择服务队\n/rank 本月排行榜\n/certificate 开具志愿服务证明\n/pause 暂停接单  /resume 恢复接单"
)
HELP_SUPERVISOR = (
    "您好，{name}（街道督查）。\n/district 各社区概况（/district 30 看近 30 天）\n"
    "每天的自动预警会发到这里；网页版请让管理员为您生成登录链接。"
)
UNKNOWN_COMMAND = "没有“{command}”这个命令。"

# --- linking a spreadsheet volunteer's Telegram account (bot/linking.py) ---
LINK_USAGE = "请发送 /link 加上社区工作人员给您的绑定码，例如：/link ABCD2345"
LINK_SHARE = "分享我的手机号"
LINK_ASK_CONTACT = "请点下面的“分享我的手机号”，用来核对您在社区登记的志愿者信息。"
LINK_OWN_CONTACT = "请分享您自己的手机号（点下面的按钮）。"
LINK_DONE = (
    "绑定成功，{name}！所在服务队：{teams}。以后有合适的诉求会直接发到这里，点【接单】即可认领。发 /help 查看常用命令。"
)
LINK_NEED_CODE = (
    "您的手机号在社区登记为志愿者，但还没有绑定 Telegram。请向社区工作人员要一个绑定码，然后发送 /link 绑定码。"
)
STAFF_LINK_USAGE = "请在 /linkcode 后面加上志愿者登记的手机号，例如：/linkcode 13800000000"
STAFF_LINK_NO_MATCH = "没有找到手机号为 {phone}、还没绑定 Telegram 的志愿者。"
STAFF_LINK_CODE = (
    "{name}的绑定码：{code}（{days} 天内有效，只能用一次）。\n请告诉TA：打开 https://t.me/{bot}?start=link-{code} ，"
    "或在机器人里发送 /link {code}，再按提示分享手机号。"
)

# --- volunteers ---
VOL_WELCOME = "欢迎您加入志愿服务，{name}！所在服务队：{teams}。\n有新的诉求会发到这里，点【接单】即可认领。/tasks 查看手上的任务，/me 查看服务时长和积分，/rank 看本月排行榜，/certificate 开具志愿服务证明，/pause 暂停接单。"
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
RES_CONSENT = (
    "您好，这里是社区“暖心”服务。\n为了帮您联系志愿者，我们需要记录您的称呼、电话和住址，只给接单的志愿者和社区工作人员看，"
    "不作其他用途。您同意吗？"
)
RES_CONSENT_YES = "同意"
RES_CONSENT_NO = "不同意"
RES_CONSENT_THANKS = "谢谢您的信任！"
RES_CONSENT_DECLINED = "好的，我们不会记录您的信息。需要帮助时，也可以直接给社区打电话。想好了随时发 /start。"
RES_NEED_CONSENT = "请先发 /start 并同意使用您的联系方式，我们才能为您登记。"
# Which community a new resident lives in (a deployment of several: a district).
RES_CHOOSE_COMMUNITY = "请问您住在哪个社区？请点一下您住的社区。"
RES_TYPE_COMMUNITY = "请问您住在哪个社区？请直接打字告诉我社区的名字，例如“幸福里”。"
RES_COMMUNITY_SEVERAL = "有几个社区的名字相近，请点一下您住的那个："
RES_COMMUNITY_NOT_FOUND = (
    "没有找到“{text}”这个社区。请再打一遍社区的名字（例如“幸福里”），不清楚的话可以问问社区工作人员。"
)
RES_COMMUNITY_LINK_UNKNOWN = "这个链接里的社区没有找到，没关系，稍后请您选一下自己住的社区。"
RES_COMMUNITY_GONE = "没有找到这个社区，请以最新消息为准，重新选一下。"
RES_COMMUNITY_CHOSEN = "好的，已为您登记到{name}。"
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
RES_PRESS_TO_CONFIRM = "内容都在下面了：没问题请点【提交】，不需要了请点【取消】。"
RES_DRAFT_EXPIRED = "您之前没填完的预约已经超过一天没有继续，我先帮您清掉了，没有提交。需要时随时点 /menu 重新开始。"
RES_FALLBACK = "抱歉，智能助手暂时不在线。您刚才说的话我已经记下了，请点选服务项目，我们一步一步来。"
RES_NO_WORDS = "收到啦😊 我只看得懂文字，请直接打字告诉我需要什么帮助，或者点下面的按钮。"
RES_NOT_TEXT = (
    "不好意思，我暂时只能看懂文字消息（语音、图片、表情包还看不懂）。请打字告诉我需要什么帮助，或者点下面的按钮。"
)
RES_GUIDED = "我们一步一步来：请先选择服务项目。"
RES_NO_REQUESTS = "您还没有提交过诉求。"
RES_MY_HEAD = "您最近的诉求："
RES_MY_LINE = "编号 {id}｜{state}｜{category}：{summary}（{at}）"
RES_URGE = "催一下 {id}"
RES_CANCEL = "取消 {id}"

# --- staff ---
STAFF_ONLY = "抱歉，这项功能仅供社区工作人员使用。如需帮助，请直接告诉我您的需求。"
STAFF_TRY_AGAIN = "\n请重新回复，或发送 /cancel 放弃。"
STAFF_MINUTES = "{n}分钟"
STAFF_HOURS = "{n}小时"
STAFF_DAYS = "{n}天"
STAFF_UNIT = "{unit}单元"
STAFF_OPTIONS = "\n可选：{options}"

# queues
STAFF_QUEUE_HEAD = "【{queue}】共 {total} 件 · 第 {page}/{pages} 页"
STAFF_QUEUE_LINE = "#{id} {category}·{building} {summary}（{age}）{flags}"
STAFF_QUEUE_EMPTY = "【{queue}】暂无事项。"
STAFF_FLAGS_WRAP = " ⚠{flags}"
STAFF_FLAGS = {
    "urgent": "紧急",
    "escalated": "已扩大派单",
    "red_flag": "红色预警",
    "past_due": "超期",
    "needs_followup": "待回访",
    "low_rating": "差评",
    "closed_unrated": "未评价关闭",
}
STAFF_PREV = "« 上一页"
STAFF_NEXT = "下一页 »"
STAFF_PAGE = "第 {page}/{pages} 页"
STAFF_CURRENT = "【{label}】"

# one request
STAFF_DETAIL_HEAD = "【编号 {id}】{kind} · {state}"
STAFF_DETAIL_KIND = "{kind}（{category}）"
STAFF_DETAIL_RESIDENT = "居民：{name}  电话：{phone}{note}"
STAFF_NO_TELEGRAM = "（无 Telegram，代下单）"
STAFF_DETAIL_ADDRESS = "地址：{address}（{grid}）"
STAFF_DETAIL_CONTENT = "内容：{text}"
STAFF_DETAIL_APPOINTMENT = "预约：{time}"
STAFF_DETAIL_TEAM = "服务队：{team}"
STAFF_DETAIL_VOLUNTEER = "志愿者：{name}  电话：{phone}"
STAFF_DETAIL_STAGE = "· {stage} {time}"
STAFF_STAGES = {
    "submitted_at": "提交",
    "published_at": "发布",
    "claimed_at": "接单",
    "started_at": "出发",
    "done_at": "完成",
    "closed_at": "关闭",
    "rejected_at": "驳回",
    "cancelled_at": "取消",
}
STAFF_DETAIL_DUE = "办结期限：{time}"
STAFF_DETAIL_HOURS = "服务时长：{hours} 小时"
STAFF_DETAIL_FLAGS = "标记：{flags}"
STAFF_DETAIL_RATING = "评价：{score} 星，{comment}"
STAFF_DETAIL_REASON = "原因：{reason}"
STAFF_DETAIL_NOTE = "完成说明：{note}"
STAFF_DETAIL_EVENTS = "最近记录："
STAFF_EVENT_LINE = "{time} {who} {action}{note}"
STAFF_DISPATCH = "派单"
STAFF_FLAG_URGENT = "标记紧急"
STAFF_UNFLAG_URGENT = "取消紧急"
STAFF_CANCEL_REQUEST = "取消"
STAFF_CONFIRM = "确认关闭"
STAFF_FOLLOWUP_DONE_BUTTON = "已回访"
STAFF_BACK = "« 返回列表"
STAFF_REFRESH = "刷新"
STAFF_URGENT_ON = "已标记为紧急，夜间也会立即通知。"
STAFF_URGENT_OFF = "已取消紧急标记。"

# questions and answers
STAFF_ASK_CANCEL_REASON = "请回复取消编号 {id} 的原因（记入诉求记录）。发送 /cancel 放弃。"
STAFF_ASK_FOLLOWUP_NOTE = "请简单记录编号 {id} 的回访情况（如：已电话联系，居民表示满意）。发送 /cancel 放弃。"
STAFF_REJECTED = "已驳回编号 {id}，并把原因告诉了居民：{reason}"
STAFF_CANCELLED = "已取消编号 {id}。原因：{reason}"
STAFF_FOLLOWUP_RECORDED = "已记录编号 {id} 的回访。"
STAFF_INPUT_CANCELLED = "好的，已放弃，没有做任何更改。"
STAFF_NOTHING_PENDING = "当前没有需要回答的问题。"
STAFF_DRAFT_EXPIRED = (
    "您一天前开始填写的内容（驳回/取消原因、回访记录或代下单）一直没有继续，已经放弃，没有做任何更改。"
)

# statistics
STAFF_STATS_HEAD = "【{scope}】诉求共 {total} 件"
STAFF_STATS_STATES = "状态：{states}"
STAFF_STATS_CLAIM = "接单用时中位数：{time}（{n} 件）"
STAFF_STATS_FINISH = "办结用时中位数：{time}（{n} 件）"
STAFF_STATS_SATISFACTION = "满意率：{rate}（{satisfied}/{rated} 件评 4–5 星），目标 {target}，{verdict}"
STAFF_STATS_MET = "已达标"
STAFF_STATS_MISSED = "未达标"
STAFF_STATS_NO_RATING = "满意率：暂无评价（目标 {target}）"
STAFF_STATS_UNRATED = "另有 {n} 件超时未评价，不计为满意"
STAFF_STATS_ALERTS = "红色预警 {red} 件 · 超期未完成 {past_due} 件 · 差评 {low} 件 · 待回访 {followup} 件"
STAFF_STATS_UNKNOWN = "没有编码为“{code}”的网格或服务队，请核对（例如 /stats G1）。"

# invites
STAFF_INVITE_LIMIT = "一次最多生成 {limit} 个邀请链接，例如：/invite 5 repair1"
STAFF_INVITE_HEAD = "志愿者邀请链接{team}（{days} 天内有效，每个只能用一次）："
STAFF_INVITE_TEAM = "（{team}）"
STAFF_INVITE_LINK = "{n}. https://t.me/{bot}?start=join-{code}"

# ledger export
STAFF_EXPORT_USAGE = "用法：/export 导出本月台账；或 /export 2024-05-01 2024-05-31 指定起止日期（含当天，最长一年）。"
STAFF_EXPORT_FILENAME = "台账_{first}_{last}.xlsx"
STAFF_EXPORT_CAPTION = "台账 {first} 至 {last}：诉求 {count} 件；{volunteers} 位志愿者服务 {hours} 小时。"

# 代下单
STAFF_ORDER_ASK_PHONE = "代下单：请输入居民的手机号或座机号。随时发送 /cancel 放弃。"
STAFF_ORDER_PICK = "号码 {phone} 登记了以下居民，请选择为谁下单："
STAFF_ORDER_OPTION = "{name}（{address}）"
STAFF_ORDER_NEW_RESIDENT = "登记新居民"
STAFF_ORDER_ASK_NAME = (
    "为号码 {phone} 登记新居民：请输入居民姓名。\n（登记即表示居民已当面同意社区使用其姓名、电话和住址提供服务。）"
)
STAFF_ORDER_ASK_ADDRESS = "请输入{name}的住址，例如：3号楼2单元502。"
STAFF_ORDER_ASK_CATEGORY = "为{name}下单：请选择服务类别。"
STAFF_ORDER_ASK_DESCRIPTION = "请简单描述{name}需要什么帮助，例如：卫生间水管漏水，希望周六上午上门。"
STAFF_ORDER_USE_BUTTONS = "请点选下面的按钮。"
STAFF_ORDER_DONE = "已为{name}下单，编号 {id}。{next}"
STAFF_ORDER_SERVICE_NEXT = "已通知附近的志愿者，进展会发给您。"
STAFF_ORDER_WISH_NEXT = "微心愿需审核后发布，可在详情里直接发布。"
STAFF_VIEW_DETAIL = "查看详情"
ASK_NOTE = "编号 {id} 已记录完成。想补充一句服务情况，或者发张照片吗？（可以跳过）"
SKIP_NOTE = "跳过"
NOTE_SAVED = "补充说明已记下，谢谢！"
NOTE_SKIPPED = "好的。"

# --- recognition (bot/recognition.py, /me) ---
ME_HOURS = "{month}服务：{month_hours} 小时（{services} 次）  {year}年累计：{year_hours} 小时"
ME_RANK = "{scope}本月排名：第 {rank} 名（共 {of} 人上榜）"
ME_RANK_NONE = "{scope}本月排名：本月还没有服务记录"
ME_RANK_OPTED_OUT = "您已选择不在排行榜上显示（发送 /rank 加入 可以重新加入）。"
RANK_VOLUNTEERS_AND_STAFF = "排行榜仅供志愿者和社区工作人员查看。"
RANK_OPT_VOLUNTEERS_ONLY = "只有志愿者可以选择是否在排行榜上显示。"
RANK_BOARD_HEAD = "【{scope} {month}志愿服务榜】"
RANK_BOARD_LINE = "{rank}. {name}  {hours} 小时（{services} 次）"
RANK_BOARD_EMPTY = "本月还没有服务记录。"
RANK_OPT_OUT_BUTTON = "不在排行榜上显示我"
RANK_OPT_IN_BUTTON = "在排行榜上显示我"
RANK_OPTED_OUT = "好的，排行榜上不再显示您的名字；您的服务时长照常记录，也照常可以开具服务证明。"
RANK_OPTED_IN = "好的，您重新出现在排行榜上了。"
CERTIFICATE_USAGE = "请这样开具服务证明：/certificate（今年），或 /certificate 2025（指定年份）。"
CERTIFICATE_VOLUNTEERS_ONLY = "服务证明只为志愿者本人开具。想成为志愿者，请向社区工作人员索取邀请链接。"
CERTIFICATE_FILENAME = "志愿服务证明-{name}-{code}.pdf"
CERTIFICATE_CAPTION = "您的志愿服务证明（{period}，共 {hours} 小时）。验证码：{code}，学校或单位可凭验证码核验。"
WORK_UNITS_HEAD = "【{month} 在职党员双报到 · 按工作单位】"
WORK_UNITS_LINE = (
    "{unit}：登记 {members} 人，本月服务 {serving} 人，{services} 次，{hours} 小时，平均评分 {avg}（{ratings} 次评价）"
)
WORK_UNITS_MEMBER = "  · {name}：{services} 次，{hours} 小时"
WORK_UNITS_NONE = "{month}：还没有登记工作单位的志愿者（volunteers.csv 的“工作单位”一列）。"
WORK_UNITS_EXPORT_HINT = "完整报表在台账导出的“在职党员双报到”工作表中（/export 或网页台账导出）。"

# --- a person on call (转人工, bot/handoff.py) ---
HO_BUTTON_HUMAN = "找人工"
HO_BUTTON_NO = "不用了"
HO_BUTTON_END = "结束对话"
HO_BUTTON_TAKE = "接待"
HO_CONNECTED = "已为您接通社区工作人员{name}，您直接说就行，TA 的回复会发到这里。说完请点“结束对话”。"
HO_QUEUED = "现在不是值班时间，已为您排上队：{when}会有社区工作人员回复您。您可以先把事情写下来，TA 上班就能看到。"
HO_ALREADY = "您已经在和社区工作人员对话了，直接说就行。"
HO_ALREADY_QUEUED = "您已经在排队了，{when}会有社区工作人员回复您。"
HO_NOBODY = "抱歉，现在联系不上社区工作人员，请稍后再试，或直接拨打社区居委会电话。"
HO_NOTED = "已记下，社区工作人员上班后会看到。"
HO_OFFER = "要不要我帮您找社区工作人员？点“找人工”就行。"
HO_OFFER_AUTO = "我好像没听懂您的意思，真抱歉。要不要我帮您找社区工作人员？"
HO_DECLINED = "好的，您接着说，我尽量听懂。"
HO_ENDED_SELF = "对话已结束。还有需要随时找我。"
HO_ENDED_STAFF = "已结束与居民的对话。"
HO_CHOOSE_CATEGORY = "给居民代下单：请选择服务类别（内容用居民在对话里说的话）。"
HO_ORDERED = "已为居民代下单，编号 {id}。"
HO_QUEUE_HEAD = "排队等待的居民（{count} 位）："
HO_QUEUE_EMPTY = "现在没有排队等待的居民。"
HO_QUEUE_STAFF_ONLY = "只有社区工作人员可以查看排队。"
HO_TAKEN = "已接通，居民的消息会转到这里。"
HO_MEDIA_NAMES = {
    "voice": "语音",
    "photo": "照片",
    "video_note": "视频消息",
    "video": "视频",
    "audio": "录音",
    "document": "文件",
}
HO_MEDIA_INTRO = "居民{who}发来一条{kind}（转人工 {id}）："
# A photo during an order (bot/photos.py): kept for it, then attached to it.
PHOTO_KEPT = "照片收到了，提交后会附在这张单子上，只给接单的志愿者和社区工作人员看。"
PHOTO_ATTACHED = "照片已附在您的诉求（编号 {id}）上，接单的志愿者会看到它。"
HO_MEDIA_FORWARDED = "已转给社区工作人员{name}，TA 会尽快回复您。"
HO_MEDIA_QUEUED = "已转给社区工作人员，{when}会有人回复您。"
HO_MEDIA_TO_RESIDENT = "社区工作人员{name}发来："
HO_SOON = "上班后"
LOC_CONFIRM = "您是在{building}吗？"
LOC_YES = "是的，就是这里"
LOC_NO = "不是"
LOC_NONE = "附近没有找到本社区的楼栋，请直接告诉我几号楼几单元几室，例如：3号楼2单元502。"
LOC_NOT_HERE = "好的，请直接告诉我几号楼几单元几室，例如：3号楼2单元502。"
LOC_NOTED = "好的，记下了：{building}。还需要几单元几室的话请接着说。"
# --- the information desk (bot/faq.py; answers come from faq.csv and community.csv) -------
FAQ_TOPICS = "可以这样问：/faq 社区几点上班。我能回答的问题有：{topics}。也可以直接打字问我。"
FAQ_EMPTY = "社区还没有整理常见问题，请直接联系社区工作人员。"
FAQ_NO_COMMUNITY = "请先发送 /start 加入您的社区，我再为您查。"
# --- 智慧督查 (bot/district.py, /district) ---
DISTRICT_HEAD = "【{name} 各社区概况】共 {count} 个社区，近 {days} 天；满意率目标 95%；{warned} 个社区需关注。"
DISTRICT_LINE = (
    "{mark} {name}：待处理 {open}，超期 {overdue}，红色预警 {red}；满意率 {rate}；接单 {claim}；服务 {hours}{flags}"
)
DISTRICT_FLAGS = " 【{flags}】"
DISTRICT_WARNINGS_HEAD = "近 {days} 天自动预警："
DISTRICT_WARNING_LINE = "  {day} {name}：{what}"
DISTRICT_WARNINGS_SHOWN = 30
