"""Every string of the web dashboard and the Open311 API, in Simplified Chinese, in one place.

Request states, kinds, event and queue names come from `community.texts` so the bot, the
ledger and the dashboard use the same words.
"""

from community.texts import (
    AUDIT_ACTIONS,
    EVENT_NAMES,
    FOLLOWUP_NAMES,
    KIND_NAMES,
    QUEUE_FLAG_NAMES,
    QUEUE_LABELS,
    ROLE_NAMES,
    STATE_NAMES,
)

__all__ = [
    "AUDIT_ACTIONS",
    "EVENT_NAMES",
    "FOLLOWUP_NAMES",
    "KIND_NAMES",
    "QUEUE_FLAG_NAMES",
    "QUEUE_LABELS",
    "ROLE_NAMES",
    "STATE_NAMES",
]

APP_TITLE = "暖心 · 社区工作台"
NAV_OVERVIEW = "概览"
NAV_REQUESTS = "诉求列表"
NAV_EXPORT = "台账导出"
NAV_LOGOUT = "退出登录"
SIGNED_IN_AS = "{name}（{community}）"

# --- login ---------------------------------------------------------------------------------
LOGIN_TITLE = "登录社区工作台"
LOGIN_HELP = "请使用管理员生成的一次性登录链接登录（python -m web login-link --phone 手机号）。"
LOGIN_CONFIRM = "点击下方按钮登录。登录链接只能使用一次。"
LOGIN_BUTTON = "登录"
LOGIN_INVALID = "登录链接无效、已使用或已过期，请联系管理员重新生成。"
LOGGED_OUT = "您已退出登录。"
SESSION_REQUIRED = "请先登录。"

# --- errors --------------------------------------------------------------------------------
ERR_CSRF = "页面已过期或来源不明，操作未执行。请刷新页面后重试。"
ERR_NOT_FOUND_PAGE = "没有找到这个页面或这条诉求。"
ERR_BAD_DATE = "日期格式不正确，请按 2026-11-01 这样的格式填写。"
ERR_DATE_ORDER = "结束日期需要晚于开始日期。"
ERR_BAD_FILTER = "筛选条件不正确：{name}"
ERR_NO_VOLUNTEER = "请选择一位志愿者。"
ERROR_TITLE = "出错了"
BACK_HOME = "返回工作台"

# --- overview and charts -------------------------------------------------------------------
OVERVIEW_TITLE = "社区概况"
PERIOD_LABEL = "统计区间：{start} 至 {end}（按提交日期）"
PERIOD_DAYS = "最近天数"
PERIOD_APPLY = "更新"
CARD_TOTAL = "诉求总数"
CARD_OPEN = "待接单"
CARD_REVIEW = "待审核"
CARD_RED_FLAG = "红色预警"
CARD_PAST_DUE = "超期未完成"
CARD_FOLLOWUP = "待回访"
CARD_SATISFACTION = "满意率"
CARD_MEDIAN_CLAIM = "接单用时中位数"
MINUTES = "{value:.0f} 分钟"
NONE_YET = "—"
SATISFACTION_DETAIL = "{satisfied}/{rated} 单满意；未评价关闭 {unrated} 单不计入"
CHART_PER_DAY = "每日诉求数"
CHART_TIME_TO_CLAIM = "接单用时分布（发布到接单）"
CHART_SAT_GRID = "各网格满意率（目标 {target:.0%}）"
CHART_SAT_TEAM = "各服务队满意率（目标 {target:.0%}）"
CHART_EMPTY = "暂无数据"
CHART_TARGET = "目标 {target:.0%}"
CHART_BAR_TITLE = "{label}：{value}"
CHART_SAT_TITLE = "{label}：{rate}（{satisfied}/{rated}）"
CHART_SAT_FIGURE = "{rate}（{satisfied}/{rated}）"
CLAIM_BUCKETS = ["30分钟内", "30分钟–2小时", "2–6小时", "6–24小时", "超过24小时"]
CLAIM_TICKS = ["30分内", "半时–2时", "2–6时", "6–24时", "24时以上"]  # the axis, short enough for a phone

# --- request list --------------------------------------------------------------------------
REQUESTS_TITLE = "诉求列表"
QUEUE_ALL = "全部"
FILTER_STATE = "状态"
FILTER_GRID = "网格"
FILTER_TEAM = "服务队"
FILTER_CATEGORY = "服务类别"
FILTER_OVERDUE = "只看超时"
FILTER_LOW_RATING = "只看差评/待回访"
FILTER_SEARCH = "搜索"
FILTER_SEARCH_PLACEHOLDER = "编号（如 #12）、内容、地址或居民姓名"
FILTER_ANY = "不限"
FILTER_APPLY = "筛选"
FILTER_RESET = "清除"
LIST_TOTAL = "共 {total} 条，第 {page}/{pages} 页"
LIST_EMPTY = "没有符合条件的诉求。"
PAGE_PREV = "上一页"
PAGE_NEXT = "下一页"
COL_ID = "编号"
COL_KIND = "类型"
COL_CATEGORY = "类别"
COL_GRID = "网格"
COL_BUILDING = "楼栋"
COL_SUMMARY = "内容"
COL_RESIDENT = "居民"
COL_PHONE = "电话"
COL_STATE = "状态"
COL_VOLUNTEER = "志愿者"
COL_WAITED = "已等"
COL_FLAGS = "标记"
WAITED_HOURS = "{hours}小时"
WAITED_DAYS = "{days}天{hours}小时"

# --- one request ---------------------------------------------------------------------------
REQUEST_TITLE = "诉求 {id}"
FIELD_KIND = "类型"
FIELD_STATE = "状态"
FIELD_CATEGORY = "服务类别"
FIELD_DESCRIPTION = "内容"
FIELD_ITEM = "心愿物品"
FIELD_RESIDENT = "居民"
FIELD_PHONE = "联系电话"
FIELD_ADDRESS = "地址"
FIELD_GRID = "网格"
FIELD_TEAM = "服务队"
FIELD_VOLUNTEER = "志愿者"
FIELD_PREFERRED = "预约时间"
FIELD_DUE = "办结期限"
FIELD_PRIORITY = "优先级"
FIELD_HOURS = "服务时长"
FIELD_FINISH_NOTE = "完成说明"
FIELD_REASON = "原因"
FIELD_SUBMITTED_BY = "代下单人"
FIELD_MEDIA = "附件（热线提供）"
PRIORITY_URGENT = "加急"
PRIORITY_NORMAL = "普通"
HOURS_VALUE = "{hours} 小时"
SECTION_HISTORY = "处理记录"
SECTION_RATING = "微评价"
SECTION_FOLLOWUPS = "跟进计划"
SECTION_ACTIONS = "处理"
HISTORY_TIME = "时间"
HISTORY_WHO = "操作人"
HISTORY_ACTION = "操作"
HISTORY_STATE = "状态变化"
HISTORY_NOTE = "备注"
RATING_NONE = "尚未评价"
RATING_STARS = "{score} 星"
RATING_COMMENT = "评价内容"
RATING_AT = "评价时间"
FOLLOWUP_KIND = "事项"
FOLLOWUP_DUE = "计划时间"
FOLLOWUP_STATUS = "状态"
FOLLOWUP_STATUS_NAMES = {"pending": "待执行", "done": "已执行", "cancelled": "已取消", "skipped": "已跳过"}
FOLLOWUPS_NONE = "没有跟进计划。"
NEEDS_FOLLOWUP_BANNER = "这条诉求需要回访。"

ACTION_PUBLISH = "审核通过并发布"
ACTION_REJECT = "驳回"
ACTION_REJECT_REASON = "驳回原因（会告知居民）"
ACTION_DISPATCH = "派单"
ACTION_REASSIGN = "改派"
ACTION_DISPATCH_VOLUNTEER = "选择志愿者"
ACTION_DISPATCH_NONE = "暂无可派的志愿者（都已暂停接单或已满负荷）。"
VOLUNTEER_OPTION = "{name}（{teams}；在办 {load}/{max}）"
VOLUNTEER_NO_TEAM = "未入队"
ACTION_URGENT = "标记加急"
ACTION_UNURGENT = "取消加急"
ACTION_NOTE = "添加备注"
ACTION_NOTE_TEXT = "备注内容"
ACTION_FOLLOWUP = "完成回访"
ACTION_FOLLOWUP_TEXT = "回访情况"
ACTION_FOLLOWUP_CLOSE = "居民确认问题已解决，同时关闭诉求"
ACTION_NONE = "当前状态下没有可执行的操作。"

DONE_MESSAGES = {
    "publish": "已审核通过并发布，正在通知志愿者。",
    "reject": "已驳回，已告知居民。",
    "dispatch": "已派单，志愿者会收到通知。",
    "unassign": "已收回，正在重新发给其他志愿者。",
    "urgent": "已标记加急。",
    "unurgent": "已取消加急。",
    "note": "备注已添加。",
    "followup": "回访已记录。",
    "followup_closed": "回访已记录，诉求已关闭。",
    "flag_urgent": "已标记加急。",
    "unflag_urgent": "已取消加急。",
    "complete_followup": "回访已记录。",
    "confirm": "已确认并关闭。",
    "reopen": "已重新派单，网格长会跟进。",
    "cancel": "已取消，已告知居民和志愿者。",
    "edit": "已修改，志愿者会收到更新后的信息。",
    "ordered": "已为居民下单。",
}

# --- ledger export -------------------------------------------------------------------------
EXPORT_TITLE = "台账导出"
EXPORT_HELP = "导出所选日期内提交的诉求（每单一行，含内容、楼栋单元、电话、各环节时间、志愿者、时长、评分和评价）、志愿者在此期间的服务时长和积分（按服务队），以及按网格和服务队的月度汇总（对照 95% 满意率目标，附图表）。结束日期当天包含在内。"
EXPORT_START = "开始日期"
EXPORT_END = "结束日期"
EXPORT_XLSX = "导出 Excel（.xlsx）"
EXPORT_CSV = "导出 CSV"
EXPORT_FULL_PHONES = "显示完整电话号码（默认隐藏中间四位）"
EXPORT_FILENAME = "台账_{start}_{end}.{ext}"

# --- Open311 -------------------------------------------------------------------------------
O311_API_KEY_INVALID = "api_key 缺失或无效"
O311_NOT_FOUND_SERVICE = "没有服务代码为 {code} 的服务"
O311_NOT_FOUND_REQUEST = "没有编号为 {id} 的诉求"
O311_MISSING = "缺少必填参数：{name}"
O311_INVALID = "参数 {name} 无效：{message}"
O311_BAD_DATE = "日期时间格式不正确，请使用 W3C 格式，例如 2026-11-01T00:00:00+08:00"
O311_BAD_STATUS = "status 只能是 open 或 closed"
O311_BAD_ID = "service_request_id 应为以逗号分隔的数字编号"
O311_NEED_PHONE = "请提供居民的联系电话（phone），用于登记居民和回访"
O311_NEED_LOCATION = "请提供地址：address_string（例如 3号楼2单元502）、address_id（楼栋编号）或 lat 与 long（经纬度）"
O311_NOT_FOUND_JURISDICTION = "没有编码为 {code} 的社区（jurisdiction_id）"
O311_NO_COMMUNITY = "还没有导入社区数据"
O311_NEED_JURISDICTION = "本服务器有多个社区，请用 jurisdiction_id 指明社区编码"
O311_BAD_COORDINATE = "经纬度应为 WGS84 十进制度数，lat 在 -90 到 90 之间，long 在 -180 到 180 之间"
O311_BAD_ADDRESS_ID = "本社区没有这个楼栋编号"
O311_NO_NEAREST_BUILDING = "按经纬度没有找到附近的楼栋，请提供 address_string（例如 3号楼2单元502）"
O311_BAD_MEDIA_URL = "应为以 http:// 或 https:// 开头的网址，最长 500 个字符"
O311_WISH_DESCRIPTION = "微心愿：居民想要的物品或帮助，社区审核后发布给志愿者认领"
O311_WISH_KEYWORDS = "心愿,微心愿,想要,需要"
O311_WISH_NOTICE = "已受理，社区审核后将发布给志愿者认领"
O311_CHANGESET = "2026-12-01T00:00:00+08:00"
O311_CONTACT = "请联系社区居委会"
O311_KEY_SERVICE = "API 密钥由社区工作人员签发（python -m web api-key），仅提交诉求时需要"
O311_GROUP = "社区便民服务"
O311_DEFAULT_RESIDENT_NAME = "12345来电居民"
O311_NOTICE = "已受理，社区将安排志愿者上门服务"
O311_STATUS_NOTES = {
    "submitted": "已受理，待社区审核",
    "open": "已受理，正在安排志愿者",
    "claimed": "志愿者已接单",
    "in_progress": "志愿者正在服务",
    "done": "志愿者已完成服务，待居民确认",
    "closed": "已办结",
    "rejected": "未通过审核：{reason}",
    "cancelled": "已取消：{reason}",
}
O311_SERVICE_DESCRIPTION = "{name}（预计 {hours} 小时内办结）"

# --- admin command line (python -m web login-link / api-key) -------------------------
CLI_NO_STAFF_PHONE = "没有手机号为 {phone} 的在职社区工作人员、网格长或督查人员。"
CLI_WEB_LOGIN = "{name} 的工作台登录链接（{minutes} 分钟内有效，只能使用一次）："
CLI_API_KEY = "已为“{name}”生成 Open311 API 密钥（以{staff}的名义代下单）。请妥善保存，之后无法再次查看："
CLI_NO_STAFF = "还没有社区工作人员，请先运行：python -m community add-staff --name 姓名 --telegram-id 数字ID"

# --- certificates of service (web/certificates.py) ---
CERT_VERIFY_TITLE = "志愿服务证明核验"
CERT_VERIFY_HELP = "请输入证明上印的验证码（例如 ABCD-EFGH-JKMN），核对证明内容是否与系统记录一致。"
CERT_CODE = "验证码"
CERT_VERIFY_BUTTON = "核验"
CERT_VALID = "✓ 证明有效：以下是系统中的记录，请与纸面证明核对。"
CERT_INVALID = "未找到验证码 {code}：这份证明不是本系统开具的，或验证码输入有误。"
CERT_COMMUNITY = "开具社区"
CERT_NAME = "志愿者"
CERT_PERIOD = "服务期间"
CERT_TOTAL = "服务合计"
CERT_TOTAL_VALUE = "{services} 次，{hours} 小时"
CERT_ISSUED = "开具日期"
CERT_MONTH = "月份"
CERT_SERVICES = "服务次数"
CERT_HOURS = "服务时长（小时）"
CERT_ISSUE_TITLE = "开具志愿服务证明"
CERT_ISSUE_HELP = "选择志愿者和年份（不填为今年），生成带验证码的 PDF 证明。"
CERT_YEAR = "年份"
CERT_YEAR_HINT = "今年"
CERT_ISSUE_BUTTON = "生成 PDF"
CERT_PICK_VOLUNTEER = "请选择本社区的一位志愿者。"
CERT_FILENAME = "志愿服务证明-{name}-{code}.pdf"
NAV_CERTIFICATES = "服务证明"

# --- the workbench (this round): navigation, list, bulk, actions, directories, 代下单 --------
NAV_ORDER = "代下单"
NAV_VOLUNTEERS = "志愿者"
NAV_RESIDENTS = "居民"
NAV_STAFF = "工作人员"
NAV_KEYS = "API 密钥"
NAV_INVITES = "邀请志愿者"
NAV_AUDIT = "操作记录"
NAV_MENU = "菜单"
SIGNED_IN_LEADER = "{name}（{community} · 网格长）"
ERR_STAFF_ONLY = "这个页面仅供社区工作人员使用。"
ERR_BAD_TIME = "时间格式不正确。"
ERR_DATE_SPAN = "一次最多导出一年。"
HISTORY_WHO_ROLE = "{name}（{role}）"

TAB_COUNT = "{label}（{count}）"
SORT_LABELS = {
    "urgency": "紧急程度",
    "id": "编号",
    "submitted": "提交时间",
    "waited": "已等",
    "state": "状态",
    "grid": "网格",
    "category": "类别",
}
SORT_BY = "排序"
FILTER_SEARCH_PLACEHOLDER_PHONE = "编号（如 #12）、电话（全号或后四位）、内容、地址或居民姓名"
CALL = "拨打"
CALL_TITLE = "拨打 {name} 的电话"
PRIMARY_PUBLISH = "发布"
PRIMARY_DISPATCH = "派单"
PRIMARY_PICK = "选择志愿者"
BULK_TITLE = "批量处理所选诉求"
BULK_SELECT = "选择"
BULK_SELECT_ALL = "全选本页"
BULK_ACTION = "操作"
BULK_ACTION_NAMES = {"publish": "批量发布", "dispatch": "批量派单", "complete_followup": "批量完成回访"}
BULK_VOLUNTEER = "派给"
BULK_NOTE = "回访情况（批量完成回访时必填）"
BULK_APPLY = "执行"
BULK_NOTHING = "请先勾选诉求并选择操作。"
BULK_DONE = "{action}：{done}/{total} 条已完成"
BULK_PROBLEM = "编号 {id}：{message}"

ACTION_LABELS = {
    "publish": "审核通过并发布",
    "reject": "驳回",
    "dispatch": "派单",
    "unassign": "收回，重新发给其他志愿者",
    "confirm": "确认已解决并关闭",
    "reopen": "没解决，重新派单",
    "flag_urgent": "标记加急",
    "unflag_urgent": "取消加急",
    "edit": "修改诉求",
    "note": "添加备注",
    "complete_followup": "完成回访",
    "cancel": "取消诉求",
}
ACTION_CANCEL_REASON = "取消原因（会告知居民）"
ACTION_REOPEN_NOTE = "原因（例如：居民说还在漏水）"
EDIT_DESCRIPTION = "内容"
EDIT_ADDRESS = "地址（如 3号楼2单元502）"
EDIT_TIME = "预约时间"
EDIT_PHONE = "联系电话"
EDIT_HELP = "只填要改的项；不填的保持不变。"

# directories
VOLUNTEERS_TITLE = "志愿者名录"
RESIDENTS_TITLE = "居民名录"
STAFF_TITLE = "社区工作人员"
KEYS_TITLE = "Open311 API 密钥"
INVITES_TITLE = "邀请志愿者"
AUDIT_TITLE = "操作记录"
DIR_SEARCH = "按姓名或电话查找"
DIR_FIND = "查找"
COL_NAME = "姓名"
COL_TEAMS = "服务队"
COL_STATUS = "状态"
COL_LOAD = "在办"
COL_HOURS = "累计时长"
COL_RATING = "平均评分"
COL_SERVICES = "服务次数"
COL_ADDRESS = "住址"
COL_REQUESTS = "诉求数"
COL_TELEGRAM = "Telegram"
COL_WHEN = "时间"
COL_WHO = "操作人"
COL_WHAT = "操作"
COL_CHANNEL = "渠道"
COL_TARGET = "对象"
COL_ISSUER = "签发人"
COL_CREATED = "签发时间"
COL_LAST_USED = "最近使用"
COL_KEY_STATUS = "状态"
VOL_ACTIVE = "接单中"
VOL_PAUSED = "暂停接单"
VOL_DEACTIVATED = "已停用"
VOL_PAUSE = "暂停接单"
VOL_RESUME = "恢复接单"
VOL_DEACTIVATE = "停用"
VOL_REACTIVATE = "重新启用"
VOL_NOTE = "说明（可选）"
VOL_HISTORY = "服务记录"
VOL_RATING_VALUE = "{avg:.1f} 星（{count} 次评价）"
VOL_NO_RATING = "暂无评价"
HOURS_SHORT = "{hours:g} 小时"
RES_HISTORY = "诉求记录"
RES_NO_TELEGRAM = "无（代下单）"
RES_HAS_TELEGRAM = "已绑定"
STAFF_ACTIVE = "在职"
STAFF_INACTIVE = "已离职"
STAFF_OFFBOARD = "办理离职"
STAFF_OFFBOARD_NOTE = "说明（可选）"
STAFF_KEYS_WARNING = "离职后，此人签发的 API 密钥会同时失效。"
KEY_ACTIVE = "有效"
KEY_REVOKED = "已吊销"
KEY_REVOKE = "吊销"
KEY_INACTIVE_ISSUER = "签发人已离职，密钥已失效"
KEYS_HELP = "新密钥请用命令生成：python -m web api-key --name 名称"
INVITE_COUNT = "数量"
INVITE_TEAM = "预先加入服务队"
INVITE_NO_TEAM = "不指定"
INVITE_CREATE = "生成邀请链接"
INVITE_LINKS = "邀请链接（{days} 天内有效，每个只能用一次）："
AUDIT_ALL_CHANNELS = "全部渠道"
CHANNEL_NAMES = {"chat": "聊天", "web": "网页", "cli": "命令行", "open311": "Open311", "system": "系统"}
AUDIT_REQUEST = "诉求 {id}"
EMPTY = "暂无记录。"
DONE_PEOPLE = {
    "paused": "已暂停接单。",
    "resumed": "已恢复接单。",
    "deactivated": "已停用。",
    "reactivated": "已重新启用。",
    "offboarded": "已办理离职，此人的登录已失效。",
    "revoked": "密钥已吊销。",
}

# 代下单
ORDER_TITLE = "代下单"
ORDER_FIND = "先查找居民（电话全号、后四位或姓名）"
ORDER_FOUND = "找到的居民"
ORDER_NONE_FOUND = "没有找到，可以直接登记新居民。"
ORDER_FOR = "为TA下单"
ORDER_REGISTER = "登记新居民"
ORDER_NAME = "姓名"
ORDER_PHONE = "电话"
ORDER_ADDRESS = "住址（如 3号楼2单元502）"
ORDER_CONSENT = "居民已同意社区使用其联系方式和地址提供服务"
ORDER_REGISTER_BUTTON = "登记并下单"
ORDER_FORM_FOR = "为{name}下单（{address}）"
ORDER_KIND = "类型"
ORDER_CATEGORY = "服务类别"
ORDER_ITEM = "心愿物品（微心愿）"
ORDER_DESCRIPTION = "需要什么帮助"
ORDER_ADDRESS_OVERRIDE = "服务地址（不填则为居民住址）"
ORDER_TIME = "预约时间（可不填）"
ORDER_CONTACT = "联系电话（不填则为居民电话）"
ORDER_SUBMIT = "提交"
ORDER_DONE = "已为居民下单。"
ERR_CONSENT_NEEDED = "请确认居民已同意，才能登记。"
INVITE_LIMIT = "一次最多生成 {limit} 个邀请链接。"
ERR_NOT_YOUR_GRID = "这个地址不在您负责的网格内。"

# --- 转人工 (web/handoffs.py) ---
NAV_HANDOFFS = "转人工"
HO_TITLE = "转人工：排队和对话中的居民"
HO_COL_ID = "编号"
HO_COL_WHO = "居民"
HO_COL_STATE = "状态"
HO_COL_WAITED = "已等"
HO_COL_SAID = "最后一句"
HO_WAITING = "排队中"
HO_TALKING = "与{name}对话中"
HO_MINUTES = "{minutes} 分钟"
HO_EMPTY = "现在没有排队或对话中的居民。"
HO_ACTIONS = {"take": "接待（在 Telegram 里对话）", "end": "结束对话"}
HO_DONE = {"take": "已接待：对话已发到您的 Telegram。", "end": "对话已结束。"}
# --- the information desk (web/faq.py) -------------------------------------------------------
NAV_FAQ = "常见问题"
FAQ_TITLE = "常见问题"
FAQ_GAPS_TITLE = "居民问到、还答不上来的问题（最近 {days} 天，按次数）"
FAQ_GAPS_HELP = "把这些问题和答案补进 faq.csv（【问题】可填几种问法，用竖线隔开），再运行 python -m community load 重新导入，机器人马上就能回答，不用重新训练。"
FAQ_GAPS_NONE = "最近没有答不上来的问题。"
FAQ_COL_QUESTION = "问题"
FAQ_COL_COUNT = "次数"
FAQ_COL_LAST = "最近一次"
FAQ_COL_OTHERS = "其他问法"
FAQ_ENTRIES_TITLE = "现在能回答的问题"
FAQ_COL_VARIANTS = "问法"
FAQ_COL_ANSWER = "答案"
FAQ_COL_SOURCE = "来源"
FAQ_PHONE = "电话："
FAQ_SOURCE_OFFICE = "community.csv（办公地址、时间、电话）"
FAQ_SOURCE_SHEET = "faq.csv"

# --- a district supervisor's overview (/district) ---
NAV_DISTRICT = "街道总览"
SIGNED_IN_SUPERVISOR = "{name}（{district} · 督查）"
DISTRICT_TITLE = "{name} 各社区概况"
DISTRICT_SUMMARY = "共 {count} 个社区，{warned} 个社区需关注；满意率、接单用时和服务时长为近 {days} 天。"
DISTRICT_DAYS = "统计天数"
DISTRICT_SHOW = "查看"
DISTRICT_WARNINGS = "近 {days} 天自动预警"
DISTRICT_NO_WARNINGS = "近 {days} 天没有自动预警。"
DISTRICT_WARNING_DAY = "日期"
DISTRICT_WARNING_COMMUNITY = "社区"
DISTRICT_WARNING_WHAT = "预警内容"
DISTRICT_READ_ONLY = "本页只读：各社区的诉求由社区工作人员处理。"
ERR_DISTRICT_DAYS = "统计天数应为 1 到 90 之间的整数。"
