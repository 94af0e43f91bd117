// The shell's one i18n: Simplified Chinese by default, English on request; the choice is
// kept in localStorage.  `lang` is a signal and t() reads it, so every component that
// shows translated text re-renders on a switch, and only those.
// t("key", {name: value}) fills {name} placeholders; an unknown key shows as itself.

import { effect, signal } from "@preact/signals";

const STORE = "kefu.lang";

const zh = {
  "desk.title": "坐席工作台", "wall.title": "监控大屏", "nav.wall": "监控大屏", "nav.desk": "坐席工作台",
  "shell.title": "客服中心", "shell.nav": "导航", "shell.none": "您的角色暂无可用页面",
  "nav.admin": "系统管理", "admin.soon": "系统管理页面(用户、分机、队列、IVR)将在后续版本提供。现在可以使用 API:",
  "desk.need_agent": "签入需要坐席身份",
  "lang.switch": "English", "ws.title": "实时事件连接", "auth.logout": "退出登录",
  "login.title": "登录", "login.username": "用户名", "login.password": "密码", "login.submit": "登录",
  "login.failed": "用户名或密码错误", "login.expired": "登录已过期,请重新登录",
  "agent.title": "坐席签入", "agent.extension": "分机", "agent.queues": "技能队列", "agent.device": "设备",
  "agent.device.webrtc": "浏览器软电话", "agent.device.phone": "话机", "agent.auto_answer": "话机自动应答", "agent.ready_on_login": "签入后示闲",
  "agent.login": "签入", "agent.logout": "签出", "agent.not_member": "您不是任何队列的成员,无法签入",
  "agent.skill": "技能 {level}",
  "state.title": "状态", "state.ready": "示闲", "state.not_ready": "示忙", "state.away": "离开",
  "st.logged_out": "未签入", "st.ready": "空闲", "st.not_ready": "示忙", "st.away": "离开",
  "st.reserved": "振铃", "st.talking": "通话中", "st.on_hold": "保持中", "st.wrap_up": "话后处理",
  "reason.break": "小休", "reason.lunch": "午餐", "reason.meeting": "会议", "reason.training": "培训",
  "reason.after_call": "话后整理", "reason.no_answer": "未接听", "reason.login": "刚签入",
  "reason.connecting": "连接中",
  "phone.title": "软电话", "phone.line": "线路", "phone.connect": "连接线路",
  "phone.mute_on_phone": "使用话机时请在话机上静音",
  "line.idle": "未连接", "line.phone": "使用话机", "line.connecting": "连接中…", "line.connected": "已连接",
  "line.failed": "连接失败", "line.closed": "已断开",
  "line.unavailable": "软电话接口不可用 (404),请改用话机", "line.conflict": "软电话线路被拒绝: {detail}",
  "line.media": "无法使用麦克风: {detail}",
  "stats.title": "今日业绩", "stats.answered": "接听", "stats.talk_time": "通话时长",
  "offer.title": "来电", "offer.queue": "队列", "offer.wait": "已等待", "offer.attached": "随路数据",
  "offer.on_phone": "请在话机上接听", "offer.answer": "接听", "offer.reject": "拒接", "offer.none": "无随路数据",
  "offer.callback": "回呼",
  "customer.title": "客户信息", "customer.new": "新客户", "customer.number": "号码", "customer.name": "姓名",
  "customer.company": "公司", "customer.save": "保存客户", "customer.saved": "客户已保存",
  "customer.unavailable": "客户服务暂不可用,姓名将随小结保存", "customer.loading": "正在查找客户…",
  "call.title": "通话", "call.none": "当前无通话", "call.hangup": "挂断", "call.hold": "保持",
  "call.resume": "恢复", "call.mute": "静音", "call.unmute": "取消静音", "call.with": "对方",
  "call.state": "状态", "call.held": "对方保持中", "call.id": "通话编号", "call.parties": "成员",
  "call.dialing": "呼叫中",
  "transfer.title": "转接 / 咨询", "transfer.kind.target": "分机/号码", "transfer.kind.agent": "坐席",
  "transfer.kind.queue": "队列", "transfer.to": "转至", "transfer.blind": "盲转", "transfer.consult": "咨询",
  "transfer.done": "已转接", "consult.transfer": "咨询转", "consult.conference": "三方",
  "consult.cancel": "取消咨询", "consult.started": "正在咨询…", "consult.no_queue": "咨询只能选分机或坐席",
  "dial.placeholder": "外呼号码", "dial.call": "外呼", "dial.started": "正在外呼 {to}",
  "wrapup.title": "话后小结", "wrapup.call": "通话", "wrapup.type": "类型", "wrapup.type.inquiry": "咨询",
  "wrapup.type.complaint": "投诉", "wrapup.type.suggestion": "建议", "wrapup.type.other": "其他",
  "wrapup.result": "结果", "wrapup.result.resolved": "已解决", "wrapup.result.follow_up": "待跟进",
  "wrapup.result.escalated": "已升级", "wrapup.result.other": "其他", "wrapup.notes": "备注",
  "wrapup.save": "保存小结", "wrapup.end": "结束话后", "wrapup.saved": "小结已保存",
  "wrapup.unavailable": "小结服务暂不可用 ({status})",
  "queues.title": "队列监控", "queues.name": "队列", "queues.number": "号码", "queues.waiting": "排队",
  "queues.longest": "最长等待", "queues.ready": "空闲坐席", "queues.logged_in": "签入",
  "queues.talking": "通话坐席", "queues.answered": "已接", "queues.abandoned": "放弃", "queues.sl": "服务水平",
  "ann.title": "公告", "ann.ack": "确认", "ann.acked": "已确认", "ann.none": "暂无公告",
  "ann.unavailable": "公告服务暂不可用", "ann.post_title": "发布公告", "ann.field_title": "标题",
  "ann.body": "内容", "ann.audience": "指定坐席", "ann.audience_hint": "用户名, 用逗号分隔",
  "ann.groups": "技能组", "ann.groups_none": "暂无队列", "ann.everyone_hint": "坐席和技能组都不选 = 发给全体坐席",
  "ann.to": "发给", "ann.to_all": "全体坐席", "ann.group": "技能组 {name}", "ann.reach": "共 {n} 人",
  "ann.post": "发布", "ann.posted": "公告已发布",
  "help.title": "快捷键", "help.f2": "接听来电", "help.f4": "挂断", "help.f6": "保持 / 恢复",
  "tile.waiting": "排队中", "tile.longest": "最长等待", "tile.ready": "空闲", "tile.talking": "通话",
  "tile.paused": "示忙/离开", "tile.answered": "已接", "tile.abandoned": "放弃", "tile.sl": "服务水平",
  "agents.title": "坐席", "agents.agent": "坐席", "agents.extension": "分机", "agents.state": "状态",
  "agents.in_state": "状态时长", "agents.queue": "队列", "agents.call": "当前通话", "agents.answered": "接听",
  "agents.actions": "操作",
  "calls.title": "实时通话", "calls.caller": "主叫", "calls.callee": "被叫", "calls.state": "状态",
  "calls.queue": "队列", "calls.agent": "坐席", "calls.duration": "时长", "calls.members": "成员",
  "calls.none": "暂无通话", "agents.none": "暂无坐席",
  "act.ready": "置闲", "act.not_ready": "置忙", "act.logout": "强制签出", "act.listen": "监听",
  "act.skills": "技能", "skills.title": "技能与队列", "skills.save": "保存", "skills.cancel": "取消",
  "skills.hint": "技能等级 0–100;留空 = 不在该队列;立即生效", "skills.saved": "技能已更新",
  "act.whisper": "密语", "act.barge": "强插", "act.release": "强拆", "act.confirm_release": "确定强拆该通话?",
  "act.confirm_logout": "确定强制签出 {agent}?", "act.need_ext": "请先填写我的分机", "act.done": "已执行",
  "wall.sup_ext": "我的分机", "wall.line_connect": "接入监听音频", "wall.line_on": "音频已接入 (断开)",
  "wall.line_failed": "音频接入失败", "wall.force_reason": "置忙原因", "wall.need_role": "监控大屏需要班长或管理员权限",
  "cs.routing": "呼叫中", "cs.ringing": "振铃", "cs.hosted": "系统应答", "cs.queued": "排队中",
  "cs.connected": "通话中", "cs.ended": "已结束",
  "msg.error": "出错了: {detail}", "msg.done": "完成",
};

const en = {
  "desk.title": "Agent desktop", "wall.title": "Wallboard", "nav.wall": "Wallboard", "nav.desk": "Agent desktop",
  "shell.title": "Contact centre", "shell.nav": "Navigation", "shell.none": "No screens for your role yet",
  "nav.admin": "Administration", "admin.soon": "Administration screens (users, extensions, queues, IVR) come in a later release. Until then, use the API:",
  "desk.need_agent": "Logging in needs an agent account",
  "lang.switch": "中文", "ws.title": "Live events", "auth.logout": "Sign out",
  "login.title": "Sign in", "login.username": "Username", "login.password": "Password", "login.submit": "Sign in",
  "login.failed": "Wrong username or password", "login.expired": "Your session expired, please sign in again",
  "agent.title": "Agent login", "agent.extension": "Extension", "agent.queues": "Queues", "agent.device": "Device",
  "agent.device.webrtc": "Browser softphone", "agent.device.phone": "Desk phone", "agent.auto_answer": "Desk phone answers by itself", "agent.ready_on_login": "Ready after login",
  "agent.login": "Log in", "agent.logout": "Log out", "agent.not_member": "You are not a member of any queue",
  "agent.skill": "skill {level}",
  "state.title": "State", "state.ready": "Ready", "state.not_ready": "Not ready", "state.away": "Away",
  "st.logged_out": "Logged out", "st.ready": "Ready", "st.not_ready": "Not ready", "st.away": "Away",
  "st.reserved": "Ringing", "st.talking": "Talking", "st.on_hold": "On hold", "st.wrap_up": "Wrap-up",
  "reason.break": "Break", "reason.lunch": "Lunch", "reason.meeting": "Meeting", "reason.training": "Training",
  "reason.after_call": "After-call work", "reason.no_answer": "No answer", "reason.login": "Just logged in",
  "reason.connecting": "Connecting",
  "phone.title": "Softphone", "phone.line": "Line", "phone.connect": "Connect line",
  "phone.mute_on_phone": "Mute on the desk phone",
  "line.idle": "Not connected", "line.phone": "Using the desk phone", "line.connecting": "Connecting…",
  "line.connected": "Connected", "line.failed": "Failed", "line.closed": "Closed",
  "line.unavailable": "Softphone endpoint not available (404); use the desk phone",
  "line.conflict": "Softphone line refused: {detail}", "line.media": "Cannot use the microphone: {detail}",
  "stats.title": "Today", "stats.answered": "Answered", "stats.talk_time": "Talk time",
  "offer.title": "Incoming call", "offer.queue": "Queue", "offer.wait": "Waited", "offer.attached": "Call data",
  "offer.on_phone": "Answer on your phone", "offer.answer": "Answer", "offer.reject": "Reject", "offer.none": "No call data",
  "offer.callback": "Callback",
  "customer.title": "Customer", "customer.new": "New customer", "customer.number": "Number", "customer.name": "Name",
  "customer.company": "Company", "customer.save": "Save customer", "customer.saved": "Customer saved",
  "customer.unavailable": "Customer service unavailable; the name is saved with the notes",
  "customer.loading": "Looking up the customer…",
  "call.title": "Call", "call.none": "No call", "call.hangup": "Hang up", "call.hold": "Hold",
  "call.resume": "Resume", "call.mute": "Mute", "call.unmute": "Unmute", "call.with": "With",
  "call.state": "State", "call.held": "held", "call.id": "Call", "call.parties": "Parties",
  "call.dialing": "Dialling",
  "transfer.title": "Transfer / consult", "transfer.kind.target": "Extension/number", "transfer.kind.agent": "Agent",
  "transfer.kind.queue": "Queue", "transfer.to": "To", "transfer.blind": "Blind transfer", "transfer.consult": "Consult",
  "transfer.done": "Transferred", "consult.transfer": "Transfer", "consult.conference": "Conference",
  "consult.cancel": "Cancel consult", "consult.started": "Consulting…",
  "consult.no_queue": "Consult an extension or an agent",
  "dial.placeholder": "Number to call", "dial.call": "Call", "dial.started": "Calling {to}",
  "wrapup.title": "Wrap-up", "wrapup.call": "Call", "wrapup.type": "Type", "wrapup.type.inquiry": "Inquiry",
  "wrapup.type.complaint": "Complaint", "wrapup.type.suggestion": "Suggestion", "wrapup.type.other": "Other",
  "wrapup.result": "Result", "wrapup.result.resolved": "Resolved", "wrapup.result.follow_up": "Follow-up",
  "wrapup.result.escalated": "Escalated", "wrapup.result.other": "Other", "wrapup.notes": "Notes",
  "wrapup.save": "Save notes", "wrapup.end": "End wrap-up", "wrapup.saved": "Notes saved",
  "wrapup.unavailable": "Notes service unavailable ({status})",
  "queues.title": "Queues", "queues.name": "Queue", "queues.number": "Number", "queues.waiting": "Waiting",
  "queues.longest": "Longest wait", "queues.ready": "Ready", "queues.logged_in": "Logged in",
  "queues.talking": "Talking", "queues.answered": "Answered", "queues.abandoned": "Abandoned",
  "queues.sl": "Service level",
  "ann.title": "Announcements", "ann.ack": "Acknowledge", "ann.acked": "Acknowledged", "ann.none": "No announcements",
  "ann.unavailable": "Announcements unavailable", "ann.post_title": "Post an announcement", "ann.field_title": "Title",
  "ann.body": "Text", "ann.audience": "Agents", "ann.audience_hint": "usernames, comma-separated",
  "ann.groups": "Groups", "ann.groups_none": "No queues", "ann.everyone_hint": "No agents and no groups = every agent",
  "ann.to": "To", "ann.to_all": "all agents", "ann.group": "group {name}", "ann.reach": "reached {n}",
  "ann.post": "Post", "ann.posted": "Announcement posted",
  "help.title": "Shortcuts", "help.f2": "Answer", "help.f4": "Hang up", "help.f6": "Hold / resume",
  "tile.waiting": "Waiting", "tile.longest": "Longest wait", "tile.ready": "Ready", "tile.talking": "Talking",
  "tile.paused": "Not ready/away", "tile.answered": "Answered", "tile.abandoned": "Abandoned", "tile.sl": "Service level",
  "agents.title": "Agents", "agents.agent": "Agent", "agents.extension": "Extension", "agents.state": "State",
  "agents.in_state": "Time in state", "agents.queue": "Queue", "agents.call": "Current call", "agents.answered": "Answered",
  "agents.actions": "Actions",
  "calls.title": "Live calls", "calls.caller": "Caller", "calls.callee": "Callee", "calls.state": "State",
  "calls.queue": "Queue", "calls.agent": "Agent", "calls.duration": "Duration", "calls.members": "Members",
  "calls.none": "No calls", "agents.none": "No agents",
  "act.ready": "Set ready", "act.not_ready": "Set not ready", "act.logout": "Force logout", "act.listen": "Listen",
  "act.skills": "Skills", "skills.title": "Skills and queues", "skills.save": "Save", "skills.cancel": "Cancel",
  "skills.hint": "level 0–100; empty = not in that queue; takes effect at once", "skills.saved": "Skills updated",
  "act.whisper": "Whisper", "act.barge": "Barge", "act.release": "Release",
  "act.confirm_release": "Release this call?", "act.confirm_logout": "Log {agent} out?",
  "act.need_ext": "Enter your extension first", "act.done": "Done",
  "wall.sup_ext": "My extension", "wall.line_connect": "Connect my audio",
  "wall.line_on": "Audio connected (disconnect)", "wall.line_failed": "Audio line failed", "wall.force_reason": "Not-ready reason", "wall.need_role": "The wallboard needs a supervisor or admin account",
  "cs.routing": "Routing", "cs.ringing": "Ringing", "cs.hosted": "Hosted", "cs.queued": "Queued",
  "cs.connected": "Connected", "cs.ended": "Ended",
  "msg.error": "Error: {detail}", "msg.done": "Done",
};

export const DICTS = { zh, en };

/** The language shown: "zh" or "en". */
export const lang = signal(DICTS[localStorage.getItem(STORE)] ? localStorage.getItem(STORE) : "zh");

export function t(key, vars = {}) {
  const text = DICTS[lang.value][key] ?? zh[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/** Whether the dictionaries hold `key`. */
export const known = (key) => key in zh;

/** A state, reason or other enum value, translated if known ("st.ready" → "空闲"). */
export function label(prefix, value) {
  if (!value) return "";
  const key = `${prefix}.${value}`;
  return known(key) ? t(key) : value;
}

export function setLang(next) {
  if (!DICTS[next] || next === lang.peek()) return;
  localStorage.setItem(STORE, next);
  lang.value = next;
}

effect(() => { document.documentElement.lang = lang.value === "zh" ? "zh-CN" : "en"; });
// another tab of this site switched
window.addEventListener("storage", (e) => { if (e.key === STORE && e.newValue) setLang(e.newValue); });
