"""Every Chinese text the custom actions send (fixed replies are in domain.yml)."""

KIND_WISH = "微心愿"
KIND_SERVICE = "便民服务"

NOT_REGISTERED = "请先发送 /start 并同意社区使用您的联系方式和地址，我们才能为您登记。"
SYSTEM_BUSY = "系统有点忙，请稍后再试一次。您刚才说的内容没有丢，我们可以接着来。"

# --- asking ------------------------------------------------------------------------------
ASK_ITEM = "您想许什么心愿呢？比如“一台轮椅”“有人陪我聊聊天”“帮孩子辅导功课”。"
ASK_DESCRIPTION = "请简单说说具体情况，比如哪里坏了、需要帮什么忙。"
ASK_SERVICE = "请问您需要哪项服务？点下面的按钮，或者直接说，比如“修水管”“理发”。"
ASK_ADDRESS = "请问服务地址是哪里？请说几号楼几单元几室，例如：3号楼2单元502。"
ASK_ADDRESS_REGISTERED = "用登记的地址：{address}"
ASK_TIME = "您希望什么时间？点下面的按钮，或者直接说，比如“明天下午三点”。"
TIME_ASAP = "尽快"
TIME_TODAY_AFTERNOON = "今天下午"
TIME_TOMORROW_MORNING = "明天上午"
TIME_TOMORROW_AFTERNOON = "明天下午"
ASK_PHONE = "请留一个联系电话，方便志愿者联系您。可以点下面的“分享我的手机号”，也可以直接输入号码。"

# --- the read-back -------------------------------------------------------------------------
SUMMARY_HEAD = "请您核对一下：\n"
SUMMARY_KIND = "类型：{kind}"
SUMMARY_SERVICE = "服务：{service}"
SUMMARY_ITEM = "心愿：{item}"
SUMMARY_DESCRIPTION = "说明：{description}"
SUMMARY_ADDRESS = "地址：{address}"
SUMMARY_TIME = "时间：{time}"
SUMMARY_PHONE = "电话：{phone}"
SUMMARY_TAIL = "\n没问题请点“确认提交”；要改哪里直接告诉我。"
BUTTON_CONFIRM = "确认提交"
BUTTON_CHANGE = "修改"
BUTTON_STOP = "不提交了"
# Per-field 修改 buttons at the read-back; their words are what actions/forms.py CHANGE_FIELD reads.
CHANGE_ADDRESS = "修改地址"
CHANGE_TIME = "修改时间"
CHANGE_PHONE = "修改电话"
CHANGE_DESCRIPTION = "修改说明"
WHAT_TO_CHANGE = "好的，请直接告诉我要改的内容，例如：“地址是5号楼1单元301”“时间改成明天下午”“电话13812345678”。改好后我再给您核对一遍。"

# --- validation ----------------------------------------------------------------------------
BAD_ITEM = "心愿请用一句简短的话说明，比如“一台轮椅”“有人陪我聊聊天”。"
BAD_TIME = "这个时间我没看懂，请点按钮，或者说“明天上午”“周六下午三点”。"
TIME_IN_PAST = "这个时间已经过去了，请换一个时间。"
TIME_TOO_FAR = "只能预约两个月以内的时间，请换一个近一点的时间。"
UNKNOWN_SERVICE = (
    "“{name}”不在服务清单里。可以从下面选一项服务；也可以点“找人工”，请社区工作人员帮您安排，或者说“许个心愿”。"
)

# --- results ---------------------------------------------------------------------------------
SUBMITTED_WISH = "已提交您的微心愿（编号 {id}）。社区审核后会发布给志愿者，有进展我会告诉您。"
SUBMITTED_SERVICE = "已提交您的{service}预约（编号 {id}），正在为您联系志愿者，有人接单我会马上告诉您。"
STOPPED = "好的，这次先不填了，刚才的内容没有提交。需要时随时叫我。"

NO_REQUESTS = "您还没有提交过诉求。可以直接说需要什么，比如“我想预约理发”。"
STATUS_HEAD = "您最近的诉求："
STATUS_HEAD_ONE = "您问的诉求："
STATUS_NOT_FOUND = "没有找到您的编号 {id} 的诉求。您可以说“我的单子怎么样了”，看看您最近提交的诉求。"
STATUS_LINE = "编号 {id}｜{what}｜{state}{volunteer}｜{at}"
STATUS_VOLUNTEER = "（志愿者：{name}）"
NO_OPEN_REQUESTS = "您目前没有正在办理的诉求。需要帮忙的话直接说就行，比如“我想预约理发”“家里水管漏了”。"
ASK_WHICH_STATUS = "您有几件诉求正在办理，您问的是哪一个？请点编号。"
STATUS_TAIL = "需要的话可以说“催一下”或“取消订单”。"
BUTTON_URGE = "催一下"
BUTTON_CANCEL = "取消订单"

NONE_TO_CANCEL = "您目前没有可以取消的诉求。"
NONE_TO_URGE = "您目前没有正在办理的诉求，不用催啦。"
NONE_TO_RATE = "您目前没有可以评价的服务。服务完成后，我会请您打分。"
ASK_WHICH = "您要{verb}哪一个？请点编号，或者直接说编号。"
VERB_CANCEL = "取消"
VERB_URGE = "催"
VERB_RATE = "评价"
CHOICE_BUTTON = "编号 {id} {what}：{summary}"
BAD_CHOICE = "没有找到这个编号，请点下面的按钮选一个。"
ASK_CANCEL_CONFIRM = "确定要取消编号 {id}（{what}）吗？"
BUTTON_YES_CANCEL = "确定取消"
BUTTON_NO_CANCEL = "不取消"
NOT_CANCELLED = "好的，不取消，编号 {id} 继续为您办理。"
ASK_SCORE = "请给编号 {id}（{what}）的服务打个分：5 星最满意。"
STARS = "{n}星"
BAD_SCORE = "请打 1 到 5 星，点下面的按钮就行。"
COMPLAINT_RECEIVED = "非常抱歉给您添麻烦了。您的意见已转给社区工作人员和网格长，他们会尽快联系您回访。"

# --- the information desk (actions/faq.py; the answers come from faq.csv and community.csv) ---
FAQ_ASK_WHAT = "您想问什么？直接说就行，比如“社区几点上班”“怎么开证明”“快递柜在哪”。"
FAQ_NO_COMMUNITY = "请先发送 /start 加入您的社区，我再为您查。"
