"""Every user-facing sentence of the domain core, in Simplified Chinese, in one place.

Templates use `str.format` fields. Reviewers and translators only need this file.
"""

KIND_NAMES = {"wish": "微心愿", "service": "便民服务", "care": "关爱服务"}

STATE_NAMES = {
    "submitted": "待审核",
    "open": "待接单",
    "claimed": "已接单",
    "in_progress": "服务中",
    "done": "待确认",
    "closed": "已完结",
    "rejected": "未通过",
    "cancelled": "已取消",
}

ROLE_NAMES = {
    "resident": "居民",
    "volunteer": "志愿者",
    "staff": "社区工作人员",
    "grid_leader": "网格长",
    "system": "系统",
}

# --- errors (shown to the person who tried) -------------------------------------------
ERR_NOT_FOUND = "没有找到编号为 {request_id} 的诉求，请核对编号。"
ERR_ALREADY_CLAIMED = "已被其他志愿者认领，感谢您的热心！"
ERR_ALREADY_YOURS = "这一单您已经认领了，不用重复接单。"
ERR_OVER_LOAD = "您手上已有 {load} 单未完成（上限 {limit} 单），请先完成或放弃一单再接新的。"
ERR_VOLUNTEER_PAUSED = "您目前处于暂停接单状态，请先恢复接单。"
ERR_NOT_VOLUNTEER = "只有已登记的志愿者才能接单。"
ERR_NOT_OFFERED = "这一单没有派给您，暂时不能接。有需要请联系社区工作人员。"
ERR_ALREADY_URGENT = "这条诉求已经标记为紧急了。"
ERR_NOT_URGENT = "这条诉求没有标记为紧急。"
ERR_NOTHING_TO_EDIT = "没有要修改的内容。"
EDIT_FIELDS = {"description": "说明", "address": "地址", "preferred_time": "时间", "phone": "电话"}
ERR_REASON_REQUIRED_STAFF = "工作人员取消诉求时请填写原因，方便居民了解情况。"
ERR_NOT_STAFF = "只有社区工作人员可以进行这项操作。"
ERR_NOT_STAFF_OR_LEADER = "只有社区工作人员或本网格网格长可以派单。"
ERR_NOT_YOUR_TASK = "这一单不是由您认领的，无法操作。"
ERR_NOT_YOUR_REQUEST = "这不是您提交的诉求，无法操作。"
ERR_WRONG_STATE = "这条诉求目前是“{state}”状态，不能{action}。"
ERR_OTHER_COMMUNITY = "这条诉求不属于您所在的社区。"
ERR_DESCRIPTION_EMPTY = "请简单说一下需要什么帮助。"
ERR_DESCRIPTION_TOO_LONG = "描述太长了（{length} 字），请控制在 {limit} 字以内，说清需要什么、在哪里、什么时候就好。"
ERR_UNKNOWN_CATEGORY = "没有“{name}”这项服务。目前可以预约：{menu}。"
ERR_BAD_PHONE = "“{phone}”看起来不是有效的电话号码，请填写 11 位手机号或带区号的座机号。"
ERR_HOURS = "服务时长请填写 0 到 24 之间的小时数。"
ERR_SCORE = "评分请选择 1 到 5 颗星。"
ERR_ALREADY_RATED = "这条诉求已经评价过了，谢谢您！"
ERR_URGE_TOO_SOON = "您在 {minutes} 分钟前已经催过了，网格长已收到提醒，请再耐心等一等。"
ERR_REASON_REQUIRED = "请填写原因，方便居民了解情况。"
ERR_TARGET_NOT_VOLUNTEER = "所选的人不是本社区的志愿者。"
ERR_INVITE_INVALID = "邀请码无效或已过期，请联系社区工作人员重新获取。"
ERR_NO_CONSENT = "请先同意社区使用您的联系方式和地址用于服务，我们才能登记诉求。"
ERR_DUPLICATE = "您刚才已经提交过相同的诉求（编号 {id}），我们正在处理，不用重复提交。"
ERR_ALREADY_ASSIGNED = "这一单已经由{name}负责了。"
ERR_NOT_SUPERVISOR = "这项功能只对街道/区督查人员开放。"
ERR_DISTRICT_UNKNOWN = "没有找到街道/区“{code}”，请先导入街道数据（python -m community load 街道目录）。"
ERR_DISTRICT_EMPTY = "{name}还没有导入任何社区。"
ERR_COMMUNITY_UNKNOWN = "没有找到社区“{code}”，请先导入社区数据（python -m community load data/community）。"
ERR_COMMUNITY_CODE_NEEDED = (
    "这里有多个社区，请指明社区编号（例如 --community C01；python -m community links 列出各社区编号）。"
)
ERR_NAME_REQUIRED = "请填写姓名。"
ERR_LINK_NO_MATCH = (
    "没有找到用这个手机号登记、还没绑定的志愿者。请确认分享的是您在社区登记的手机号，或联系社区工作人员。"
)
ERR_LINK_TELEGRAM_TAKEN = "这个 Telegram 账号已经登记为社区的另一位成员，不能再绑定。请联系社区工作人员处理。"
ERR_PHONE_TAKEN = "这个手机号已经绑定了另一个 Telegram 账号，请联系社区工作人员。"
ERR_INVITE_LIMITS = "一次最多生成 200 个邀请码，有效期 1 到 90 天。"
ERR_TEAM_UNKNOWN = "没有编码为“{code}”的志愿服务队。"

ACTION_NAMES = {
    "publish": "发布",
    "reject": "驳回",
    "claim": "接单",
    "dispatch": "派单",
    "unassign": "收回重派",
    "start": "出发",
    "release": "放弃",
    "finish": "完成",
    "confirm": "确认",
    "reopen": "重新处理",
    "close_unrated": "关闭",
    "cancel": "取消",
    "rate": "评价",
    "urge": "催办",
    "escalate": "升级",
    "decline": "婉拒",
    "note": "补充说明",
    "flag_urgent": "标记紧急",
    "unflag_urgent": "取消紧急",
    "complete_followup": "完成回访",
    "edit": "修改",
    "attach_photo": "附照片",
}

# How events read in a request's history: the action names, worded for a record.
EVENT_NAMES = {
    **ACTION_NAMES,
    "submit": "提交",
    "reopen": "反馈没解决",
    "close_unrated": "未评价关闭",
    "overdue": "超期提醒",
    "followup_requested": "需要回访",
    "followup_done": "完成回访",
    "complain": "投诉",
    "attach_photo": "附上照片",
}

# --- address questions (routing asks instead of guessing) ------------------------------
ASK_ADDRESS = "请问您住在几号楼几单元几室？例如：3号楼2单元502。"
ASK_UNKNOWN_BUILDING = "本社区没有找到“{building}”，请核对楼号。本社区有 {first} 到 {last} 号楼。"
ASK_WHICH_BUILDING = "“{text}”对应多栋楼，请问是哪一栋？"
ASK_UNIT = "{building}只有 {units} 个单元，请核对单元号。"

# --- notifications ---------------------------------------------------------------------
N_RECEIVED_WISH = "已收到您的微心愿（编号 {id}）：{summary}\n社区工作人员审核后会发布给志愿者，请留意消息。"
N_RECEIVED_SERVICE = "已收到您的{category}预约（编号 {id}）：{summary}\n正在为您联系附近的志愿者。"
N_RECEIVED_FOR_OTHER = "已为{name}登记诉求（编号 {id}）：{summary}"
N_STAFF_REVIEW = "新的微心愿待审核（编号 {id}，{grid}）：{summary}"
N_PUBLISHED = "您的微心愿（编号 {id}）已审核通过并发布，志愿者接单后会通知您。"
N_REJECTED = "很抱歉，您的微心愿（编号 {id}）未通过审核。原因：{reason}"
N_OFFER = "【新{kind}】编号 {id}\n类别：{category}\n位置：{building}\n时间：{time}\n内容：{summary}"
N_OFFER_TAKEN = "【编号 {id}】已被认领，谢谢您的关注。"
N_OFFER_GONE = "【编号 {id}】{state}，无需接单。"
N_PHOTO_TO_VOLUNTEER = "编号 {id}：居民发来的照片（仅您和社区工作人员可见）："
N_CLAIMED_RESIDENT = "您的诉求（编号 {id}）已由志愿者{volunteer}接单，TA 会尽快与您联系。"
N_CLAIMED_VOLUNTEER = (
    "接单成功！编号 {id}\n内容：{summary}\n居民：{resident}\n电话：{phone}\n地址：{address}\n时间：{time}"
)
N_DISPATCHED_VOLUNTEER = "社区给您派了一单：\n" + N_CLAIMED_VOLUNTEER
N_EDITED_VOLUNTEER = "社区更新了编号 {id} 的信息（{changes}），以这条为准：\n" + N_CLAIMED_VOLUNTEER
N_TAKEN_FROM_VOLUNTEER = "编号 {id} 已由社区改派给其他志愿者，您无需再跟进，谢谢！"
N_STARTED = "志愿者{volunteer}已出发，请您在家稍候（编号 {id}）。"
N_DONE_RESIDENT = "志愿者{volunteer}已完成服务（编号 {id}）。问题解决了吗？请确认并给这次服务打个分。"
N_CONFIRMED_VOLUNTEER = "居民已确认编号 {id} 的服务，感谢您的付出！本次记 {hours} 小时、{points} 积分。"
N_REOPENED = "居民反馈编号 {id} 的问题没有解决，已重新派单。"
N_REOPENED_RESIDENT = "抱歉没能帮您解决好，编号 {id} 已重新安排，网格长会跟进。"
N_RATED_VOLUNTEER = "居民给编号 {id} 的服务打了 {score} 星。{comment}"
N_COMPLAINT = "投诉：{name}对编号 {id} 有意见：“{text}”。请尽快回访。"
N_COMPLAINT_NO_REQUEST = "投诉：{name}反映：“{text}”。请尽快联系。"
N_LOW_RATING = "差评提醒：编号 {id} 得到 {score} 星（{comment}），请安排回访。"
N_RATING_THANKS = "感谢您的评价！"
N_CLOSED_ASK_RATING = "编号 {id} 已完结，谢谢您的确认！方便的话给这次服务打个分吧。"
N_CLOSED_UNRATED = "编号 {id} 已完结。如果还有问题，随时告诉我们。"
N_RELEASED_RESIDENT = "原接单志愿者暂时无法服务，我们正在为您重新安排（编号 {id}）。"
N_RELEASED_LEADER = "志愿者{volunteer}放弃了编号 {id}，已重新发布。原因：{reason}"
N_CANCELLED_RESIDENT = "编号 {id} 已取消。"
N_CANCELLED_VOLUNTEER = "编号 {id} 已被取消，您无需再前往，谢谢！"
N_URGED = "催办提醒：居民在催编号 {id}（{state}，已等 {waited}）：{summary}"
N_URGE_ACK = "已提醒网格长尽快处理编号 {id}，请您稍候。"
N_NO_CANDIDATES = "编号 {id}（{category}，{building}）暂无能在线接单的志愿者，请人工派单。{call}"
N_NO_CANDIDATES_CALL = "可电话联系（尚未绑定 Telegram）：{volunteers}。"
N_PUBLISHED_NOBODY_YET = (
    "您的微心愿（编号 {id}）已审核通过。暂时还没有能在线接单的志愿者，社区工作人员已收到提醒，会尽快为您联系安排。"
)
N_NOBODY_YET_RESIDENT = (
    "编号 {id}：暂时还没有能在线接单的志愿者，社区工作人员已收到提醒，会尽快电话联系志愿者为您安排。"
)
N_ESCALATED_LEADER = "编号 {id} 已 {hours} 小时无人接单，已扩大派单范围，请关注：{summary}"
N_ESCALATED_STAFF = "红色预警：编号 {id} 已超过 {hours} 小时无人接单（{grid}）：{summary}"

N_REMIND_VOLUNTEER = "提醒：编号 {id} 约定 {time} 上门，还有约 1 小时。地址：{address}。内容：{summary}"
N_REMIND_RESIDENT_CLAIMED = "温馨提醒：志愿者{volunteer}将于 {time} 上门服务（编号 {id}），请您在家等候。"
N_REMIND_RESIDENT_OPEN = "温馨提醒：您预约的 {time} 服务（编号 {id}）还在为您安排志愿者，我们会继续跟进。"
N_NUDGE_VOLUNTEER = "编号 {id} 已到约定的办结时间：{summary}。完成了吗？完成请点【已完成】，做不了请点【放弃】。"
N_OVERDUE_LEADER = "超期提醒：编号 {id} 由{volunteer}接单后超时未完成：{summary}。需要改派吗？"
N_RATE_REMINDER = "编号 {id} 的服务您还没评价呢。问题解决了吗？请点一下，帮助我们改进。"
FOLLOWUP_NAMES = {
    "widen": "扩大派单范围",
    "red_flag": "红色预警",
    "remind_resident": "提醒居民",
    "remind_volunteer": "提醒志愿者",
    "nudge_volunteer": "催促完成",
    "overdue_leader": "超期告知网格长",
    "rate_reminder": "提醒评价",
    "close_unrated": "未评价关闭",
    "digest": "每日概况",
    "month_summary": "志愿者月度小结",
}
DIGEST_HEAD = "【{scope} 今日概况】待处理 {open} 件，服务中 {active} 件，红色预警 {red} 件，超期未完成 {past_due} 件，差评 {low} 件，待回访 {followup} 件。"
DIGEST_ITEM = "· 编号 {id} {category} {building}：{summary}"
ERR_NOTE_EMPTY = "请写几个字，或者发一张照片。"
ERR_FOLLOWUP_NOTE = "请简单记录回访的情况。"
ERR_NO_FOLLOWUP_PENDING = "编号 {id} 没有待回访的事项。"
ERR_CARE_INTERVAL = "关爱服务的间隔请填写 1 到 90 天。"
ERR_CARE_TIME = "首次上门时间需要在将来。"

BUTTON_CLAIM = "接单"
BUTTON_DECLINE = "不方便"
BUTTON_START = "出发了"
BUTTON_FINISH = "已完成"
BUTTON_RELEASE = "放弃"
BUTTON_REASSIGN = "改派"
BUTTON_PUBLISH = "发布"
BUTTON_REJECT = "驳回"
BUTTON_CONFIRM = "已解决"
BUTTON_REOPEN = "没解决"
BUTTON_STARS = ["1星", "2星", "3星", "4星", "5星"]

# --- admin command line ----------------------------------------------------------------
CLI_NO_STAFF = "还没有社区工作人员，请先运行：python -m community add-staff --name 姓名 --telegram-id 数字ID"
CLI_INVITES_TITLE = "志愿者邀请码（{days} 天内有效，每个只能用一次）"
CLI_LINKS_TITLE = "各社区居民登记链接（印在海报、二维码上；居民点开即登记到该社区）"
CLI_BAD_TIME = "时间“{value}”看不懂，请按 2026-11-30 09:00 这样的格式填写。"
CLI_RESIDENT_UNKNOWN = "没有找到手机号为 {phone} 的居民，请先登记（机器人里的 /order 代下单会一并登记）。"
CLI_CARE_SET = "已为{name}设置关爱服务：每 {days} 天一次，首次 {first}。每次会提前一天派给志愿者。"
CLI_SCOPE_UNKNOWN = "没有找到网格“{grid}”或服务队“{team}”，请核对编码。"

UNKNOWN = "未填写"
NO_BUILDING = "待确认楼栋"
ANY_TIME = "时间可商量"
ASAP = "尽快"
WAITED = "{hours} 小时 {minutes} 分钟"

# --- statistics and queues ---
# Staff queues, in the order they are shown; the keys are the names programs use.
QUEUE_LABELS = {
    "review": "待审核",
    "unclaimed": "待接单",
    "overdue": "超时",
    "awaiting_rating": "待评价",
    "low_rating": "差评",
}
QUEUE_ERR_UNKNOWN = "没有“{name}”这个列表。可以查看：{names}。"
QUEUE_FLAG_NAMES = {
    "urgent": "加急",
    "escalated": "已扩大派单",
    "red_flag": "红色预警",
    "past_due": "已超期",
    "needs_followup": "待回访",
    "low_rating": "差评",
}
STATS_NO_GRID = "未划分网格"
STATS_NO_TEAM = "未分配服务队"
STATS_NO_CATEGORY = "未分类"

# --- community loader (data/community/*.csv) ---
# Where a problem is: the file, the row number the spreadsheet shows (header = 1) and the column.
LOAD_AT_CELL = "{file} 第{line}行【{column}】：{message}"
LOAD_AT_ROW = "{file} 第{line}行：{message}"
LOAD_AT_FILE = "{file}：{message}"
LOAD_FAILED = "发现 {count} 处问题，本次没有导入任何数据。请改正后重新导入："
LOAD_MORE = "……另有 {count} 处问题未列出。"
LOAD_NO_DIRECTORY = "找不到这个目录。"
LOAD_FILE_MISSING = "找不到这个文件，请把它放在 {directory} 目录下。"
LOAD_NOT_UTF8 = "文件不是 UTF-8 编码。请在 Excel 中“另存为”时选择“CSV UTF-8（逗号分隔）”，WPS 中选择 UTF-8 编码。"
LOAD_BAD_CSV = "无法按 CSV 格式读取：{error}"
LOAD_NO_HEADER = "文件是空的。第 1 行应是表头：{columns}"
LOAD_MISSING_COLUMN = "表头缺少这一列。"
LOAD_UNKNOWN_COLUMN = "不认识这个列名，可用的列有：{columns}。"
LOAD_DUPLICATE_COLUMN = "这一列在表头里出现了两次。"
LOAD_CELL_WITHOUT_HEADER = "第 {index} 列没有表头，却填了“{value}”。"
LOAD_EMPTY = "必填，不能为空。"
LOAD_TOO_LONG = "“{value}”太长了（{length} 字），最多 {limit} 字。"
LOAD_NOT_INTEGER = "“{value}”不是整数，请填写阿拉伯数字。"
LOAD_NOT_NUMBER = "“{value}”不是数字，请填写阿拉伯数字（可带小数，如 1.5）。"
LOAD_OUT_OF_RANGE = "{value} 不在合理范围内（{low} 到 {high}）。"
LOAD_NOT_BUILDING_NUMBER = "“{value}”不是楼号，请填写数字，如 3 或 3号楼。"
LOAD_YES_NO = "请填写“是”或“否”，不能填“{value}”。"
LOAD_BAD_TIMEZONE = "“{value}”不是有效的时区，中国大陆请填写 Asia/Shanghai。"
LOAD_PHONE_EXCEL_HINT = "（Excel 把长数字显示成了科学计数法：请把这一列设置为“文本”格式，再重新输入手机号。）"
LOAD_NO_COMMUNITY = "缺少社区信息：第 2 行应填写社区的编号、名称和时区。"
LOAD_ONE_COMMUNITY = "这个文件只能有一行社区信息。"
LOAD_DUPLICATE = "“{value}”与第 {line} 行重复。"
LOAD_UNKNOWN_REF = "{thing}“{value}”不存在，{file} 里没有这一项。"
LOAD_THINGS = {"grid": "网格", "building": "楼号", "team": "服务队", "category": "服务类别"}
LOAD_LEADER_UNKNOWN = "手机号 {phone} 不在 volunteers.csv 或 staff.csv 里。网格长必须是已登记的志愿者或社区工作人员。"
LOAD_DEFAULT_TEAM_SKILL = "默认服务队“{team}”的技能里没有“{code}”，请在 teams.csv 该队的【技能】里补上。"
LOAD_CATEGORY_UNCOVERED = (
    "没有任何服务队具备“{name}”技能，居民点了这项服务也不会有志愿者接单。请在 teams.csv 的【技能】里添加 {code}。"
)
LOAD_SHARED_WORD = "“{word}”已是第 {line} 行“{name}”的名称或同义词，居民说这个词时将无法确定是哪项服务。"
LOAD_NAME_MISMATCH = (
    "手机号 {phone} 在 volunteers.csv 第 {line} 行登记的姓名是“{other}”，同一个手机号只能对应同一个人。"
)
LOAD_TELEGRAM_TAKEN = "这个 TelegramID 已经绑定给了“{name}”，请核对。"
LOAD_BUILDING_NAME_TAKEN = (
    "这个楼名已被数据库里的 {number} 号楼使用，请换一个名字，或把 {number} 号楼也写进 buildings.csv 并改名。"
)
LOAD_BUILDING_NAME = "{number}号楼"
LOAD_COORDINATE_PAIR = "纬度和经度要一起填（或都不填）。"
LOAD_BAD_WEEKDAY = "“{value}”不是星期几，请填 1-7、周一至周日、每天、工作日或周末（多个用“|”隔开）。"
LOAD_BAD_CLOCK = "“{value}”不是时间，请按 24 小时制填写，如 08:30 或 17:30。"
LOAD_SHIFT_ORDER = "结束时间要晚于开始时间（跨夜的班请分成两行）。"
LOAD_DUTY_NOT_STAFF = "手机号 {phone} 不在 staff.csv 里。值班人必须是社区工作人员。"
LOAD_REPORT_HEAD = "已导入社区“{name}”（{code}）："
LOAD_REPORT_LINE = "{kind}：新增 {created}，更新 {updated}，未变 {unchanged}"
LOAD_REPORT_REMOVED = "，删除 {removed}"
LOAD_KIND_NAMES = {
    "community": "社区",
    "grids": "网格",
    "party_groups": "党组织",
    "buildings": "楼栋",
    "categories": "服务类别",
    "teams": "志愿服务队",
    "volunteers": "志愿者",
    "staff": "社区工作人员",
    "duty": "值班安排",
    "faq": "问答",
}

# --- ledger export (台账): (column header, field) in sheet order ---
EXPORT_LEDGER_COLUMNS = [
    ("编号", "request_id"),
    ("类型", "kind"),
    ("服务类别", "category"),
    ("网格", "grid"),
    ("楼栋", "building"),
    ("单元", "unit"),
    ("居民", "resident"),
    ("电话", "phone"),
    ("内容", "content"),
    ("状态", "state"),
    ("提交时间", "submitted_at"),
    ("发布时间", "published_at"),
    ("接单时间", "claimed_at"),
    ("出发时间", "started_at"),
    ("完成时间", "done_at"),
    ("关闭时间", "closed_at"),
    ("驳回时间", "rejected_at"),
    ("取消时间", "cancelled_at"),
    ("志愿者", "volunteer"),
    ("服务时长（小时）", "hours"),
    ("积分", "points"),
    ("评分", "rating"),
    ("评价内容", "comment"),
    ("需回访", "needs_followup"),
]
EXPORT_TOTAL_COLUMNS = [
    ("志愿者", "volunteer"),
    ("电话", "phone"),
    ("服务队", "team"),
    ("服务次数", "services"),
    ("服务时长（小时）", "hours"),
    ("积分", "points"),
]
EXPORT_LEDGER_SHEET, EXPORT_TOTALS_SHEET, EXPORT_TOTAL_LABEL = "台账", "志愿者时长", "合计"
EXPORT_YES, EXPORT_NO = "是", "否"

# --- recognition (community.recognition) ---
MONTH_LABEL = "{year}年{month}月"
DATE_LABEL = "{year}年{month}月{day}日"
RECOGNITION_BAD_MONTH = "“{text}”不是有效的月份，请写成 2026-11 这样的格式。"
RECOGNITION_NOT_VOLUNTEER = "这个功能是给志愿者用的。想成为志愿者，请向社区工作人员索取邀请链接。"
MONTH_SUMMARY = (
    "【{month}服务小结】{name}，您好！这个月您完成服务 {services} 次，服务时长 {hours} 小时，获得积分 {points}。"
)
MONTH_SUMMARY_RANK = "在本月社区志愿服务榜上排第 {rank} 名（共 {of} 人上榜）。"
MONTH_SUMMARY_THANKS = "感谢您为邻里付出的每一份心意！"
CERTIFICATE_TITLE = "志愿服务证明"
CERTIFICATE_BODY = (
    "兹证明 {name} 同志于 {period} 在{community}参加志愿服务 {services} 次，累计服务时长 {hours} 小时。特此证明。"
)
CERTIFICATE_PERIOD = "{first}至{last}"
CERTIFICATE_TABLE_HEAD = ("月份", "服务次数", "服务时长（小时）")
CERTIFICATE_TOTAL = "合计"
CERTIFICATE_CODE = "验证码：{code}"
CERTIFICATE_HOW_TO_VERIFY = "核验方法：在社区服务平台的“证明核验”页面输入验证码，或请社区工作人员核验。"
CERTIFICATE_BAD_YEAR = "只能开具 2000 年到 {this_year} 年的服务证明（您写的是 {year} 年）。"
CERTIFICATE_NO_SERVICE = "{year} 年还没有您的服务记录，暂时无法开具服务证明。完成服务并登记时长后就可以开具了。"
WORK_UNIT_SHEET = "在职党员双报到"
WORK_UNIT_COLUMNS = ("工作单位", "姓名", "党员", "服务次数", "服务时长（小时）", "评价次数", "平均评分")
WORK_UNIT_SUBTOTAL = "小计"
CLI_CERTIFICATE_UNKNOWN = "验证码 {code} 不存在：这份证明不是本系统开具的，或验证码抄错了。"
CLI_CERTIFICATE_VALID = (
    "✓ 证明有效（验证码 {code}）：{community} 为 {name} 开具，{period}参加志愿服务 {services} 次，"
    "累计 {hours} 小时；开具日期 {issued}。"
)
CLI_CERTIFICATE_MONTH = "  {month}：{services} 次，{hours} 小时"


# --- staff workbench: people, keys and the audit log (community.staffing) ---------------------
AUDIT_ACTIONS = {
    "login": "登录工作台",
    "staff_offboarded": "办理离职（停用工作人员）",
    "volunteer_paused": "暂停志愿者接单",
    "volunteer_resumed": "恢复志愿者接单",
    "volunteer_deactivated": "停用志愿者",
    "volunteer_reactivated": "重新启用志愿者",
    "api_key_revoked": "吊销 API 密钥",
    "resident_registered": "登记居民",
    "invites_issued": "生成志愿者邀请链接",
    "press_refused": "操作被拒绝（无权限）",
}
REFUSAL_NOTE = "{action} 编号 {id}：{reason}"
# Presses outside the lifecycle's actions, as a refusal's record names them.
PRESS_NAMES = {
    "mycancel": "取消",
    "detail": "查看详情",
    "urgent": "标记紧急",
    "queue": "查看队列",
    "team": "选择服务队",
    "order": "下单",
    "consent": "同意",
    "invalid": "无效按钮",
}
PRESS_OTHER = "按钮"
N_REFUSALS_STAFF = (
    "安全提醒：{name}在 {minutes} 分钟内有 {count} 次无权限的操作被拒绝（如接没有派给TA的单），"
    "已暂时限制TA的按钮操作。详情见工作台的操作记录。"
)
ERR_TOO_MANY_REFUSED = "操作太频繁，请稍后再试。如有疑问请联系社区工作人员。"
ERR_OFFBOARD_SELF = "不能为自己办理离职，请由其他工作人员操作。"
ERR_OFFBOARD_LAST = "这是本社区最后一位在职工作人员，不能停用。"
ERR_ALREADY_INACTIVE = "{name}已经停用了。"
ERR_NOT_INACTIVE = "{name}目前是启用状态。"
ERR_VOLUNTEER_HAS_TASKS = "{name}手上还有未完成的诉求（编号 {ids}），请先改派再停用。"
ERR_VOLUNTEER_DEACTIVATED = "该志愿者已停用，不能暂停或恢复接单。"
ERR_PERSON_UNKNOWN = "没有找到这个人。"
ERR_KEY_UNKNOWN = "没有找到这个 API 密钥。"
ERR_KEY_REVOKED = "这个 API 密钥已经吊销了。"

# --- ledger: the monthly summary sheet (community.ledger_export) ---------------------------
EXPORT_SUMMARY_SHEET = "月度汇总"
EXPORT_SUMMARY_COLUMNS = [
    ("月份", "month"),
    ("范围", "scope_kind"),
    ("名称", "name"),
    ("诉求数", "requests"),
    ("已办结", "finished"),
    ("接单用时中位数（分钟）", "median_claim_minutes"),
    ("办结用时中位数（分钟）", "median_finish_minutes"),
    ("已评价", "rated"),
    ("满意（4–5星）", "satisfied"),
    ("满意率", "satisfaction"),
    ("目标", "target"),
    ("是否达标", "target_met"),
]
EXPORT_SCOPE_COMMUNITY, EXPORT_SCOPE_GRID, EXPORT_SCOPE_TEAM = "全社区", "网格", "服务队"
EXPORT_NOT_RATED = "暂无评价"
EXPORT_CHART_TITLE = "{month} 各网格诉求与办结"
EXPORT_CHART_REQUESTS, EXPORT_CHART_FINISHED = "诉求数", "已办结"
EXPORT_UNIT = "{unit}单元"

# --- a person on call (转人工, community/handoff.py) ------------------------------------------
HO_WHO = "{name}（{where}）"
HO_WHO_NO_ADDRESS = "{name}（未登记住址）"
HO_TO_STAFF = "【转人工 {id}】居民{who}想找社区工作人员。"
HO_TURNS_HEAD = "最近的对话："
HO_LABEL_RESIDENT = "居民"
HO_LABEL_ASSISTANT = "小助手"
HO_OPEN_HEAD = "在办的诉求："
HO_OPEN_LINE = "编号 {id} {category}（{state}）：{summary}"
HO_NO_OPEN = "没有在办的诉求。"
HO_PHONE = "电话：{phone}"
HO_HOW_TO_REPLY = "直接在这里回复，消息会转给居民；点“代下单”可以把这次对话变成一个订单；说完请点“结束对话”。"
HO_FROM_RESIDENT = "居民{name}：{text}"
HO_FROM_STAFF = "社区工作人员{name}：{text}"
HO_BUTTON_END = "结束对话"
HO_BUTTON_ORDER = "代下单"
HO_CONNECTED_LATER = "社区工作人员{name}来了，您有什么需要直接说。说完请点“结束对话”。"
HO_QUEUED_TO_STAFF = "有居民在等社区工作人员：{who}。上班后发 /queue 转人工 查看并接待。"
HO_ENDED_BY_RESIDENT = "居民{who}结束了对话（转人工 {id}）。"
HO_ENDED_TO_RESIDENT = "社区工作人员结束了这次对话。还有需要随时找我，也可以再点“找人工”。"
HO_ORDER_NO_TEXT = "社区工作人员根据电话沟通代为下单"
HO_ORDER_NOTE = "代下单：编号 {id}"
HO_ORDERED_TO_RESIDENT = "社区工作人员已为您下单（{what}，编号 {id}），有进展会通知您。"
HO_QUEUE_LINE = "转人工 {id}：{who}，已等 {minutes} 分钟。最后一句：{said}"
HO_SOON = "上班后"
HO_TODAY = "今天"
HO_TOMORROW = "明天"
HO_WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
HO_STATS = "转人工 {total} 次，已接通 {answered} 次，排队中 {waiting} 个，对话中 {active} 个；等待时间中位数 {wait}；代下单 {orders} 个。"
HO_STATS_NO_WAIT = "—"
HO_ERR_NOT_FOUND = "没有找到这次转人工。"
HO_ERR_NOT_STAFF = "只有社区工作人员可以这样做。"
HO_ERR_NOT_YOURS = "这不是您的对话。"
HO_ERR_NOT_RESIDENT = "请先点 /start 同意使用说明，再找社区工作人员。"
HO_ERR_TAKEN = "这位居民已经有工作人员在接待了。"
HO_ERR_ENDED = "这次对话已经结束了。"
HO_ERR_ORDERED = "这次对话已经代下过单了（编号 {id}）。"
# --- the information desk (community.faq; faq.csv and community.csv's office columns) -------
# Question variants for the office's own fields, matched like faq.csv's 问题 cells.
FAQ_OFFICE_ADDRESS_QUESTIONS = (
    "社区办公室在哪里",
    "居委会在哪",
    "社区地址",
    "居委会地址是什么",
    "社区在什么位置",
    "党群服务中心在哪",
    "去社区怎么走",
    "居委会怎么走",
    "社区地图",
    "办事大厅在哪",
)
FAQ_OFFICE_HOURS_QUESTIONS = (
    "社区几点上班",
    "居委会几点开门",
    "社区几点下班",
    "办公时间",
    "社区什么时候上班",
    "周末社区上班吗",
    "周六上班吗",
    "星期天有人吗",
    "你们几点上班",
    "周六周日能办事吗",
    "中午休息吗",
    "居委会今天有人吗",
    "几点关门",
)
FAQ_OFFICE_PHONE_QUESTIONS = (
    "社区电话是多少",
    "居委会电话",
    "社区联系电话",
    "怎么联系社区",
    "社区的联系方式",
    "打电话给居委会",
    "社区办公室电话号码",
)
FAQ_OFFICE_ADDRESS = "{name}办公地址：{address}。"
FAQ_OFFICE_HOURS = "{name}办公时间：{hours}。"
FAQ_OFFICE_PHONE = "{name}电话：{phone}。"
FAQ_OFFICE_HOURS_TAIL = "办公时间：{hours}。"
FAQ_PHONE_LINE = "电话：{phone}"
FAQ_LINK_LINE = "详情：{link}"
FAQ_UNKNOWN = "这个问题我还答不上来，已经记下来，请社区工作人员补充答案。可以请值班的工作人员回答。"
FAQ_UNKNOWN_WITH_PHONE = (
    "这个问题我还答不上来，已经记下来，请社区工作人员补充答案。"
    "可以请值班的工作人员回答，着急的话也可以直接打{name}电话 {phone}。"
)
FAQ_GAPS_NONE = "最近 {days} 天没有答不上来的问题。"
FAQ_GAPS_HEAD = "最近 {days} 天居民问到、问答库答不上来的问题（前 {count} 条，按次数）："
FAQ_GAPS_LINE = "{n}. {text}（{count} 次，最近 {last}）"
FAQ_GAPS_TAIL = "在 faq.csv 里补上这些问题和答案，重新导入（python -m community load）后即可自动回答。"
LOAD_FAQ_SHORT_QUESTION = "问题“{value}”太短（去掉“请问”等客气话后不到 2 个字），会和很多问题混淆。"
LOAD_FAQ_SHARED_QUESTION = "问题“{value}”已在第 {line} 行出现，居民这样问时将无法确定回答哪一条。"
LOAD_BAD_LINK = "“{value}”不是网址，请填写以 http:// 或 https:// 开头的完整链接。"
# 智慧督查 (community.district)
DISTRICT_LEVELS = {"street": "街道", "district": "区"}
DISTRICT_WARN_SATISFACTION = (
    "【自动预警】{name}近{days}天满意率 {rate}，低于目标 {target}（{samples} 条评价）。请督促社区回访差评、改进服务。"
)
DISTRICT_WARN_CLAIM = (
    "【自动预警】{name}近{days}天接单用时中位数 {minutes} 分钟，超过目标 {target} 分钟（{samples} 单）。"
    "请督促社区补充志愿者、及时派单。"
)
DISTRICT_WARNING_KINDS = {"satisfaction": "满意率低于目标", "claim_time": "接单用时超过目标"}
DISTRICT_LOAD_HEAD = "已导入{name}（{code}）：{communities} 个社区，{supervisors} 名督查人员。"
DISTRICT_LOAD_EMPTY_FILE = "文件是空的，第 1 行应是表头。"
DISTRICT_LOAD_HEADER = "表头应为：{columns}。"
DISTRICT_LOAD_ONE_ROW = "只能有一行：本街道（或区）的编号、名称和级别。"
DISTRICT_LOAD_REQUIRED = "这一格不能为空。"
DISTRICT_LOAD_LEVEL = "级别请填“街道”或“区”。"
DISTRICT_LOAD_TELEGRAM_ID = "TelegramID 只能是数字（可不填）。"
DISTRICT_LOAD_NO_COMMUNITY = "目录里没有社区：每个社区一个子目录，里面放 community.csv 等表格。"
DISTRICT_LOAD_CODE_TWICE = "社区编号与子目录 {other} 重复，每个社区的编号须不同。"
CLI_SAMPLE_COUNT = "社区数量须在 1 到 {max} 之间。"
CLI_SAMPLE_WRITTEN = "已生成示例街道（{count} 个社区）：{out}；导入：python -m community load {out}"
CLI_SUPERVISOR_ADDED = "✓ 已添加督查人员 {name}（编号 {id}）"
CLI_DISTRICT_TITLE = "{name} 各社区概况（近 {days} 天）"
DISTRICT_COLUMNS = ("社区", "待处理", "超期", "红色预警", "满意率", "接单用时", "服务时长", "预警")
DISTRICT_NO_RATINGS = "暂无评价"
DISTRICT_NO_CLAIMS = "暂无接单"
DISTRICT_MINUTES = "{minutes} 分钟"
DISTRICT_HOURS = "{hours:g} 小时"
DISTRICT_RATE = "{rate}（{rated} 条）"
DISTRICT_FLAG_SATISFACTION = "满意率低"
DISTRICT_FLAG_CLAIM = "接单慢"
DISTRICT_FLAG_NONE = "—"
