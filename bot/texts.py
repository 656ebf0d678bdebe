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
