"""Every string of the web dashboard and the Open311 API, in Simplified Chinese, in one place.

Request states, kinds, event and queue names come from `community.texts` so the bot, the
ledger and the dashboard use the same words.
"""

from community.texts import (
    EVENT_NAMES,
    FOLLOWUP_NAMES,
    KIND_NAMES,
    QUEUE_FLAG_NAMES,
    QUEUE_LABELS,
    ROLE_NAMES,
    STATE_NAMES,
)

__all__ = [
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
CLAIM_BUCKETS = ["30分钟内", "30分钟–2小时", "2–6小时", "6–24小时", "超过24小时"]

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
    "urgent": "已标记加急。",
    "unurgent": "已取消加急。",
    "note": "备注已添加。",
    "followup": "回访已记录。",
    "followup_closed": "回访已记录，诉求已关闭。",
}

# --- ledger export -------------------------------------------------------------------------
EXPORT_TITLE = "台账导出"
EXPORT_HELP = "导出所选日期内提交的诉求（每单一行，含各环节时间、志愿者、时长、评分和评价），以及志愿者在此期间的服务时长和积分（按服务队）。结束日期当天包含在内。"
EXPORT_START = "开始日期"
EXPORT_END = "结束日期"
EXPORT_XLSX = "导出 Excel（.xlsx）"
EXPORT_CSV = "导出 CSV"
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
CLI_NO_STAFF_PHONE = "没有手机号为 {phone} 的在职社区工作人员。"
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
