// The words staff see, in Chinese and English; the choice is kept in the browser. Until
// someone chooses, the browser's own language decides (English for English browsers).
import { ref } from "vue";

const saved = typeof localStorage !== "undefined" ? localStorage.getItem("anxin.lang") : null;
const browser = typeof navigator !== "undefined" ? navigator.language || "" : "";
export const lang = ref(saved ? (saved === "en" ? "en" : "zh") : browser.toLowerCase().startsWith("en") ? "en" : "zh");
if (typeof document !== "undefined") document.documentElement.lang = lang.value === "en" ? "en" : "zh-CN";

export function setLang(value) {
  lang.value = value;
  localStorage.setItem("anxin.lang", value);
  document.documentElement.lang = value === "en" ? "en" : "zh-CN";
}

const words = {
  app: ["安心客服 · 工作台", "Anxin · Staff"],
  tickets: ["工单", "Tickets"],
  chats: ["在线会话", "Chats"],
  knowledge: ["知识库", "Knowledge base"],
  supervision: ["主管视图", "Supervision"],
  signIn: ["登录", "Sign in"],
  signOut: ["退出", "Sign out"],
  name: ["用户名", "User name"],
  password: ["密码", "Password"],
  notices: ["通知", "Notices"],
  noNotices: ["暂无通知", "No notices"],
  mentionedYou: ["在工单中提到了你", "mentioned you on"],
  markRead: ["全部已读", "Mark all read"],
  // views
  v_open: ["全部待办", "All open"],
  v_mine: ["我的", "Mine"],
  v_team: ["我的团队", "My team"],
  v_unassigned: ["未分配", "Unassigned"],
  v_at_risk: ["即将超时", "At risk"],
  v_breached: ["已超时", "Breached"],
  v_waiting: ["等待客户", "Waiting for customer"],
  v_callbacks: ["待回电", "Call-backs due"],
  v_all: ["全部工单", "All tickets"],
  // columns and filters
  number: ["工单号", "Number"],
  status: ["状态", "Status"],
  priority: ["优先级", "Priority"],
  category: ["类别", "Category"],
  channel: ["渠道", "Channel"],
  team: ["团队", "Team"],
  assignee: ["处理人", "Assignee"],
  customer: ["客户", "Customer"],
  summary: ["描述", "Summary"],
  created: ["创建时间", "Created"],
  due: ["截止时间", "Due"],
  sla: ["时效", "SLA"],
  search: ["搜索工单号、手机号、会话或内容", "Number, phone, chat or words"],
  createdFrom: ["创建时间 起", "Created from"],
  dueFrom: ["截止时间 起", "Due from"],
  end: ["止", "to"],
  sortDue: ["按截止时间", "By due time"],
  sortNewest: ["最新创建", "Newest first"],
  reset: ["重置", "Reset"],
  more: ["加载更多", "Load more"],
  total: ["共", "Total"],
  selected: ["已选", "Selected"],
  bulkAssign: ["批量分配", "Assign selected"],
  bulkStatus: ["批量改状态", "Change status"],
  apply: ["确定", "Apply"],
  cancel: ["取消", "Cancel"],
  updated: ["工单有更新", "Tickets changed"],
  refresh: ["刷新", "Refresh"],
  nothing: ["没有符合条件的工单", "No tickets match"],
  // ticket page
  back: ["返回列表", "Back to list"],
  clocks: ["时效", "SLA clocks"],
  firstResponse: ["首次响应", "First response"],
  resolution: ["解决时限", "Resolution"],
  nextResponse: ["下次响应", "Next response"],
  left: ["剩余", "left"],
  overdue: ["已超时", "overdue"],
  met: ["已达成", "met"],
  pausedNow: ["等待客户，已暂停", "paused, waiting for the customer"],
  timeline: ["处理记录", "Timeline"],
  reply: ["回复客户", "Reply to customer"],
  note: ["内部备注", "Internal note"],
  call: ["记录电话", "Log a call"],
  send: ["发送", "Send"],
  save: ["保存", "Save"],
  replyHint: ["通过客户来源渠道发送", "Sent on the channel the ticket came from"],
  noteHint: ["仅员工可见；用 @用户名 提醒同事", "Staff only; @name tells a colleague"],
  outcome: ["结果", "Outcome"],
  assign: ["分配", "Assign"],
  takeIt: ["我来处理", "Take it"],
  workflow: ["流转", "Workflow"],
  resolve: ["解决", "Resolve"],
  resolutionNote: ["处理结果", "Resolution note"],
  resolveTitle: ["解决工单", "Resolve ticket"],
  merge: ["合并重复工单", "Merge duplicates"],
  mergeHint: ["选择同一客户的重复工单，合并后关闭并链接到本工单", "Pick this customer's duplicates: they close and link here"],
  mergedInto: ["已合并到", "Merged into"],
  duplicates: ["已合并的重复工单", "Merged duplicates"],
  otherTickets: ["该客户的其他工单", "The customer's other tickets"],
  conversations: ["关联会话", "Linked conversations"],
  verified: ["已验证", "verified"],
  notVerified: ["未验证", "not verified"],
  unmask: ["查看联系方式", "Show contact"],
  unmaskReason: ["查看原因（将记入审计）", "Reason (goes into the audit log)"],
  description: ["问题描述", "Description"],
  acknowledge: ["确认告警", "Acknowledge page"],
  done: ["已完成", "Done"],
  failed: ["未完成", "Not done"],
  a_created: ["创建工单", "opened the ticket"],
  a_status: ["变更状态", "changed the status"],
  a_assign: ["分配", "assigned"],
  a_note: ["备注", "note"],
  a_reply: ["回复客户", "replied"],
  a_call: ["电话", "call"],
  a_category: ["修改类别", "changed the category"],
  a_merge: ["合并了", "merged"],
  a_merged: ["被合并到", "merged into"],
  a_acknowledge: ["确认告警", "acknowledged"],
  a_added: ["客户补充", "added"],
  a_priority: ["调整优先级", "changed the priority"],
  m_in: ["客户", "Customer"],
  escalation: ["时效升级", "Escalation"],
  oldPages: ["原有页面", "Other pages"],
  // chats
  queue: ["排队中", "Waiting"],
  myChats: ["我的会话", "My chats"],
  noChats: ["暂无会话", "No chats"],
  noQueue: ["没有排队的客户", "Nobody is waiting"],
  acceptChat: ["接入", "Accept"],
  decline: ["拒绝", "Decline"],
  offered: ["分配给你", "Offered to you"],
  waited: ["已等待", "waited"],
  pickChat: ["从左侧选择一个会话", "Pick a chat on the left"],
  summaryTitle: ["转人工摘要", "Handoff summary"],
  why: ["转人工原因", "Why"],
  wanted: ["客户意图", "The customer wanted"],
  lastSaid: ["客户最近说", "Last said"],
  language: ["语言", "Language"],
  vip: ["VIP", "VIP"],
  typingCustomer: ["客户正在输入…", "The customer is typing…"],
  composer: ["输入回复，Enter 发送，Shift+Enter 换行", "Type a reply: Enter sends, Shift+Enter for a new line"],
  canned: ["快捷回复", "Canned replies"],
  suggestionsFor: ["知识库建议 · 针对", "Knowledge base · for"],
  useIt: ["使用", "Use"],
  noSuggestions: ["知识库没有相近的答案", "No close answer in the knowledge base"],
  transfer: ["转接", "Transfer"],
  transferTo: ["转接给同事或团队", "Transfer to a colleague or a team"],
  colleagues: ["同事", "Colleagues"],
  teams: ["团队", "Teams"],
  onlineCount: ["在线", "online"],
  transferNote: ["转接说明（记入工单）", "Note for the colleague (goes on the ticket)"],
  backToQueue: ["退回队列", "Back to the queue"],
  endChat: ["结束会话", "End chat"],
  wrapUp: ["结束会话 · 小结", "Wrap-up"],
  disposition: ["处理结果", "Disposition"],
  resolveTicket: ["同时解决工单", "Resolve the ticket too"],
  endConfirm: ["确定结束与该客户的会话吗？", "End the chat with this customer?"],
  complianceTitle: ["合规提示", "Compliance check"],
  complianceBody: ["这条回复可能违反质检规则：", "This reply may break the quality rubric:"],
  sendAnyway: ["仍然发送（记入审计）", "Send anyway (audited)"],
  edit: ["返回修改", "Edit"],
  editIt: ["编辑", "Edit"],
  updatedBy: ["修改人", "Changed by"],
  notifyOn: ["开启桌面通知", "Desktop notifications"],
  shortcuts: ["快捷键：Alt+A 接入 · Alt+N 下一个会话", "Keys: Alt+A accept · Alt+N next chat"],
  st_online: ["在线", "Online"],
  st_away: ["离开", "Away"],
  st_watching: ["仅查看", "Watching"],
  cannedAdmin: ["快捷回复管理", "Canned replies"],
  shared: ["全部团队", "Every team"],
  title: ["标题", "Title"],
  body: ["内容", "Text"],
  order: ["顺序", "Order"],
  add: ["新增", "Add"],
  remove: ["删除", "Delete"],
  variablesHint: ["可用变量：{customer} 客户称呼、{ticket} 工单号、{agent} 坐席名称", "Variables: {customer} form of address, {ticket} ticket number, {agent} agent's name"],
  // call-backs
  callback: ["约定回电", "Call-back"],
  promiseCallback: ["约定回电", "Promise a call-back"],
  callbackAt: ["回电时间", "Call back at"],
  callbackPhone: ["另留号码（可选）", "Another number (optional)"],
  callbackHint: ["到时未记录电话将记为时效违约；号码加密保存", "Not logged by then, it is an SLA breach; the number is stored encrypted"],
  callbackMissed: ["回电已逾期", "call-back overdue"],
  showNumber: ["查看号码", "Show number"],
  inAnHour: ["1 小时后", "In an hour"],
  thisAfternoon: ["今天 14:00", "Today 14:00"],
  nextMorning: ["早上 9:00", "Next 09:00"],
  doneAt: ["完成时间", "Done at"],
  a_callback: ["约定回电", "promised a call-back"],
  a_transfer: ["转交会话", "passed the chat on"],
  a_take_over: ["接管会话", "took over the chat"],
  toQueue: ["退回排队", "back to the queue"],
  // 回访
  revisits: ["回访", "Follow-ups"],
  r_due: ["今日待回访", "Due today"],
  r_mine: ["我的回访", "Mine"],
  r_upcoming: ["待开始", "Coming"],
  r_done: ["已完成", "Done"],
  coverage: ["回访覆盖率", "Follow-up coverage"],
  coverageOf: ["已回访 / 应回访", "reached / required"],
  target: ["目标", "target"],
  reason: ["来源", "Source"],
  owner: ["负责人", "Owner"],
  attempts: ["尝试次数", "Attempts"],
  result: ["回访结果", "Result"],
  satisfaction: ["满意度", "Satisfaction"],
  record: ["记录结果", "Record"],
  recordTitle: ["记录回访结果", "Record the follow-up"],
  noTasks: ["没有待回访的任务", "No follow-ups here"],
  retryAt: ["未联系上，已安排再次回访：", "Not reached: tried again at "],
  reopened: ["客户不满意，已重新打开工单", "Unsatisfied: the ticket is open again"],
  // service targets
  targets: ["服务指标", "Service targets"],
  floor: ["实时监控", "Live floor"],
  pDay: ["日", "Day"],
  pWeek: ["周", "Week"],
  pMonth: ["月", "Month"],
  previous: ["上一期", "Previous"],
  following: ["下一期", "Next"],
  allTeams: ["全部团队", "All teams"],
  goal: ["目标", "Target"],
  metN: ["达标", "met"],
  missedN: ["未达标", "missed"],
  pendingN: ["未到期", "not yet due"],
  noData: ["暂无数据", "No data"],
  green: ["达标", "On target"],
  red: ["未达标", "Below target"],
  hoursUnit: ["小时", "h"],
  f_answered: ["{h}小时内响应率", "Answered within {h} h"],
  f_handling: ["平均处理时长", "Average handling time"],
  f_major: ["重大问题{h}小时内解决率", "Major issues within {h} h"],
  f_revisit: ["回访覆盖率", "Follow-up call coverage"],
  f_satisfaction: ["满意度", "Satisfaction"],
  f_repeat: ["重复来电率", "Repeat contacts"],
  f_fcr: ["一次解决率", "First-contact resolution"],
  f_containment: ["机器人独立解决率", "Contained by the assistant"],
  f_tickets: ["新建工单", "Tickets opened"],
  f_complaints: ["投诉量", "Complaints"],
  revisitSatisfied: ["回访满意率", "Satisfied at the follow-up call"],
  d_answered: ["首次人工响应（坐席消息或接通的电话）在创建后{h}小时内；超过{h}小时仍未响应计为未达标", "First human response (an agent's message or a call that reached the customer) within {h} h of creation; unanswered after {h} h counts as missed"],
  d_handling: ["本期解决的工单从创建到最终解决的平均时长；重开的工单按最后一次解决计", "Mean time from creation to final resolution of tickets resolved in the period; a reopened ticket counts to its last resolution"],
  d_major: ["本期创建的 P1 工单在{h}小时内解决；超过{h}小时仍未解决计为未达标", "P1 tickets created in the period resolved within {h} h; open P1s older than {h} h count as missed"],
  d_revisit: ["本期解决、按回访计划需要回访的工单中，回访联系上客户的比例", "Of the tickets resolved in the period whose plan requires a follow-up call (回访), the share whose call reached the customer"],
  d_satisfaction: ["满意度调查中 4 分和 5 分的比例", "Survey answers of 4 or 5 over all survey answers"],
  d_repeat: ["同一客户、同一类别在 7 天内再次建单", "Same customer, same category, another ticket within 7 days"],
  d_fcr: ["已解决且未重开、7 天内无重复来电", "Resolved, never reopened, no repeat contact within 7 days"],
  d_containment: ["客户来访的会话中既未建单也未转人工的比例", "Conversations customers wrote in that got neither a ticket nor a person"],
  trendTitle: ["趋势", "Trend"],
  complaintsBy: ["投诉分布（按渠道 / 按团队）", "Complaints by channel and by team"],
  behind: ["指标明细", "Tickets behind the figure"],
  firstHuman: ["首次人工响应", "First human response"],
  resolvedAt: ["解决时间", "Resolved"],
  reopens: ["重开次数", "Reopened"],
  exportList: ["导出明细", "Export the list"],
  unassignedTeam: ["未分配", "Unassigned"],
  weekly: ["每周一 9:00 通过邮件发送上周报告", "Last week's report goes out by e-mail every Monday at 9:00"],
  // conversation review
  review: ["会话质检", "Conversation review"],
  since: ["从", "From"],
  untilExcl: ["到（不含）", "Until (excl.)"],
  any: ["不限", "Any"],
  breachedSla: ["工单已超时（SLA 违约）", "A ticket breached its SLA"],
  words: ["关键词", "Words"],
  searchChats: ["搜索会话", "Search"],
  foundChats: ["找到会话", "Conversations found:"],
  noChatsFound: ["没有找到会话", "No conversations found"],
  scorecards: ["坐席质检成绩", "Agents' quality scorecards"],
  chatsN: ["会话", "Chats"],
  flagged: ["被标记", "Flagged"],
  reviews: ["评分次数", "Reviews"],
  average: ["平均分", "Average"],
  transcript: ["会话记录", "Conversation"],
  qualityScore: ["质检评分", "Quality score"],
  scoreNeedsChat: ["只有人工服务过的会话可以评分", "Only a chat with an agent can be scored"],
  comment: ["评语", "Comment"],
  saveScore: ["提交评分", "Save the score"],
  scoreSaved: ["评分已保存：", "Score saved:"],
  rubric: ["质检规则", "Quality rubric"],
  pattern: ["正则表达式", "Regular expression"],
  trigger: ["触发表达式", "Trigger expression"],
  saved: ["已保存", "Saved"],
  // live floor
  queueLength: ["排队人数", "In the queue"],
  longestWait: ["最长等待", "Longest wait"],
  chatsActive: ["进行中的会话", "Chats in progress"],
  slaAtRisk: ["即将超时工单", "Tickets at risk"],
  slaBreached: ["已超时工单", "Tickets breached"],
  people: ["人员状态", "People"],
  st_offline: ["离线", "Offline"],
  load: ["会话/上限", "Chats / capacity"],
  listen: ["监听", "Listen"],
  whisper: ["耳语", "Whisper"],
  takeOver: ["接管", "Take over"],
  listening: ["正在监听（只读）", "Listening (read-only)"],
  whisperHint: ["只有坐席能看到，客户看不到", "Only the agent sees this, never the customer"],
  whisperSent: ["已发送给坐席", "Sent to the agent"],
  takeOverConfirm: ["接管后由您直接与客户对话，原坐席将不再处理此会话。确定接管？", "You will talk to the customer yourself and the agent leaves this chat. Take it over?"],
  takenOver: ["已接管，请在在线会话中继续", "Taken over: continue in Chats"],
  takenFromYou: ["主管已接管此会话：", "A supervisor took over this chat: "],
  whisperFrom: ["主管耳语", "Whisper from"],
  nobodyWaiting: ["没有客户在排队", "Nobody is waiting"],
  liveUpdated: ["实时更新", "Live"],
  noneHere: ["无", "None"],
  menuWork: ["日常工作", "Work"],
  menuSupervise: ["主管", "Supervision"],
  menuAdmin: ["系统管理", "Administration"],
  // the quality rubric, calibration, appeals
  rubricRules: ["质检规则", "Quality rubric"],
  rubricRulesHint: ["用短语描述规则，保存前可先用示例对话试一试", "Rules are phrases; try one on a sample chat before saving it"],
  addRule: ["新增规则", "Add a rule"],
  ruleKindLabel: ["规则类型", "Kind"],
  phrases: ["短语", "Phrases"],
  phrasesHint: ["输入短语后按回车，可添加多个", "Type a phrase and press Enter; add as many as needed"],
  triggerPhrases: ["触发短语", "Trigger phrases"],
  weight: ["权重", "Weight"],
  off: ["停用", "Off"],
  scoredByPeople: ["由主管人工评分", "Scored by supervisors"],
  advancedRule: ["高级（正则）", "Advanced (regex)"],
  advancedHint: ["熟悉正则表达式时使用", "for people who write regular expressions"],
  kindHint_greeting: ["坐席第一句话须包含其中一个短语", "The agent's first message must contain one of the phrases"],
  kindHint_forbidden: ["坐席说出任一短语即违规", "Any phrase said by the agent breaks the rule"],
  kindHint_disclosure: ["提到触发短语（如理财）后，坐席须说出风险提示短语", "Once a trigger phrase comes up (say, a wealth product), the agent must say one of the phrases"],
  kindHint_empathy: ["客户情绪激动时，坐席须表达歉意或理解", "When the customer is upset, the agent must say one of the phrases"],
  kindHint_identity: ["坐席在核实身份（短语）之前不得提及账户信息（触发短语）", "The agent must verify identity (phrases) before mentioning account details (trigger phrases)"],
  kindHint_manual: ["不自动检查，由主管评分", "Not checked automatically; supervisors score it"],
  tryRule: ["试一试", "Test this rule"],
  tryRuleHint: ["每行一句；以「客户：」开头的是客户说的，其余是坐席说的", "One line per message; lines starting “customer:” are the customer's, the rest the agent's"],
  tryIt: ["测试", "Test"],
  keepExample: ["保存为示例", "Keep as an example"],
  ruleFlags: ["此规则会标记这段对话（第 {line} 行）", "This rule flags the chat (line {line})"],
  ruleQuiet: ["此规则不会标记这段对话", "This rule does not flag the chat"],
  examples: ["示例", "Examples"],
  appealsCalibration: ["质检待办", "Quality queue"],
  flaggedChats: ["自动标记", "Flagged"],
  flaggedHint: ["结束的会话按质检规则自动检查，违规的列在这里", "Every ended chat is checked against the rubric; the ones that broke a rule are here"],
  brokenRules: ["违反的规则", "Rules broken"],
  agentCol: ["坐席", "Agent"],
  decideIt: ["处理", "Decide"],
  scoredAt: ["评分时间", "Scored"],
  appeals: ["待处理申诉", "Appeals"],
  calibrationTab: ["评分校准", "Calibration"],
  calibrationHint: ["同一会话由两位以上主管评分时，比较各项评分是否一致", "Chats scored by two or more supervisors, line by line"],
  exactAgreement: ["完全一致", "Exact agreement"],
  closeAgreement: ["相差不超过 1 分", "Within one point"],
  spread: ["总分差", "Total spread"],
  reviewer: ["评分人", "Reviewer"],
  totalScore: ["总分", "Total"],
  appealReason: ["申诉理由", "Reason"],
  uphold: ["维持原评分", "Keep the score"],
  rescore: ["调整评分", "Change the score"],
  decisionNote: ["处理说明", "Decision"],
  noAppeals: ["没有待处理的申诉", "No appeals waiting"],
  myScores: ["我的质检", "My scores"],
  myScoresHint: ["主管对您会话的评分；如有异议可在 30 天内申诉一次", "Your chats' scores; you may appeal one once, within 30 days"],
  appeal: ["申诉", "Appeal"],
  appealState: ["申诉状态", "Appeal"],
  appealSent: ["申诉已提交", "Appeal sent"],
  comment2: ["评语", "Comment"],
  openChat: ["会话", "Chat"],
  // the knowledge base
  kbHint: ["智能助手按这里的答案回答客户；修改须经第二人审核后才对客户生效", "The assistant answers customers from these entries; a change reaches customers once a second person approves it"],
  kbReviewDue: ["知识库条目需要复核", "A knowledge-base entry is due for review"],
  kbEntries: ["条目", "Entries"],
  kbFind: ["按问题、答案、键或负责人查找", "Find by question, answer, key or owner"],
  exportXlsx: ["导出 Excel", "Export Excel"],
  importFile: ["导入 CSV / Excel", "Import CSV / Excel"],
  kbNew: ["新建条目", "New entry"],
  kbQuestion: ["标准问", "Question"],
  kbAnswer: ["答案", "Answer"],
  kbVersion: ["版本", "Version"],
  kbHits: ["命中", "Hits"],
  kbHistory: ["历史版本", "Versions"],
  kbWithdraw: ["下线", "Withdraw"],
  kbPendingN: ["{n} 项待审核", "{n} waiting for review"],
  kbChanges: ["待审核", "Waiting for review"],
  kbChangesHint: ["编辑提交的修改在第二人批准前不会对客户生效；提交人不能批准自己的修改", "A change reaches customers only once a second person approves it; nobody approves their own"],
  kbNoChanges: ["没有待审核的修改", "No changes waiting"],
  kbAction_create: ["新建", "New"],
  kbAction_update: ["修改", "Edit"],
  kbAction_delete: ["下线", "Withdraw"],
  kbAction_rollback: ["恢复旧版本", "Roll back"],
  kbAction_restore: ["重新上线", "Restore"],
  kbAction_import: ["导入", "Import"],
  kbStale: ["条目已被其他修改更新，请驳回后重新提交", "Overtaken by another change: reject it and edit again"],
  kbNotYours: ["须由提交人以外的人审核", "Someone other than the editor approves"],
  kbApprove: ["批准发布", "Approve"],
  kbReject: ["驳回", "Reject"],
  kbWithdrawChange: ["撤回", "Withdraw"],
  kbTry: ["试一试", "Try a question"],
  kbTryHint: ["输入客户可能的问法", "A question as a customer would ask it"],
  kbAsk: ["提问", "Ask"],
  kbDecision_answered: ["直接回答", "Answered"],
  kbDecision_suggested: ["给出候选问题", "Offers choices"],
  kbDecision_unanswered: ["无法回答", "Not answered"],
  kbGaps: ["未解答问题", "Unanswered"],
  kbGapsHint: ["近 30 天智能助手未能回答的问题，按意思归类", "Questions the assistant could not answer in the last 30 days, grouped by meaning"],
  kbAsked: ["次数", "Asked"],
  kbNearest: ["最接近的条目", "Nearest entry"],
  kbLastSeen: ["最近一次", "Last asked"],
  kbFromGap: ["据此新建条目", "Make an entry"],
  kbStarter: ["补充入门知识库", "Add the starter entries"],
  kbStarterDone: ["入门知识库：{n} 个缺少的条目已加入（或已提交审核）", "Starter knowledge base: {n} missing entries added (or sent for review)"],
  channelSetup: ["渠道设置", "Channels"],
  telegramHint: ["配置 TELEGRAM_BOT_TOKEN 与 TELEGRAM_SECRET_TOKEN 后，向 Telegram 登记本服务的接收地址", "Once TELEGRAM_BOT_TOKEN and TELEGRAM_SECRET_TOKEN are set, register this service's address with Telegram"],
  telegramWebhook: ["登记 Telegram 接收地址", "Register the Telegram webhook"],
  telegramDone: ["已登记：{url}", "Registered: {url}"],
  kbKey: ["键（英文、数字、下划线）", "Key (a-z, 0-9, _)"],
  kbCategory: ["分类", "Category"],
  kbQuestionZh: ["标准问（中文）", "Question (Chinese)"],
  kbQuestionEn: ["标准问（英文）", "Question (English)"],
  kbSimilarZh: ["相似问（中文，每行一个）", "Similar questions (Chinese, one a line)"],
  kbSimilarEn: ["相似问（英文，每行一个）", "Similar questions (English, one a line)"],
  kbAnswerZh: ["答案（中文）", "Answer (Chinese)"],
  kbAnswerEn: ["答案（英文）", "Answer (English)"],
  kbValidFrom: ["生效日期", "Valid from"],
  kbValidTo: ["失效日期", "Valid to"],
  kbLive: ["上线", "Live"],
  kbForbidden: ["答案含有质检规则禁止的用语，不能发布", "The answer says what the quality rubric forbids; it cannot be published"],
  kbSubmitHint: ["提交后由另一位主管或管理员审核", "A second supervisor or admin reviews it"],
  kbLiveHint: ["保存后立即对客户生效", "Live for customers once saved"],
  kbSubmit: ["提交审核", "Send for review"],
  kbCompare: ["比较版本", "Compare"],
  kbApprovedBy: ["{name} 审核", "approved by {name}"],
  kbRestore: ["恢复此版本", "Restore this version"],
  sentForReview: ["已提交，等待第二人审核", "Sent for review by a second person"],
  savedLive: ["已保存，立即生效", "Saved; live now"],
  approvedLive: ["已批准，客户现在看到新答案", "Approved: customers get it now"],
  withdrawConfirm: ["下线后智能助手不再用此条目回答。确定？", "The assistant stops answering with this entry. Withdraw it?"],
  withdrawWhy: ["撤回原因", "Why withdraw it?"],
  rejectWhy: ["驳回原因（提交人会看到）", "Why reject it? (the editor sees this)"],
  importDone: ["导入完成：新建 {created}，修改 {updated}，待审核 {proposed}", "Imported: {created} new, {updated} changed, {proposed} waiting for review"],
  // the shift calendar
  shifts: ["排班", "Shifts"],
  scheduledNow: ["排班在岗", "Scheduled now"],
  scheduledOnline: ["在线 / 排班", "online / scheduled"],
  onShiftUntil: ["值班至 {until}", "On shift until {until}"],
  offShift: ["非排班时间", "Off shift"],
  thisWeek: ["本周", "This week"],
  prevWeek: ["上一周", "Previous week"],
  nextWeek: ["下一周", "Next week"],
  addShift: ["新增班次", "Add a shift"],
  editShift: ["修改班次", "Change a shift"],
  person: ["人员", "Person"],
  day: ["日期", "Day"],
  from: ["开始", "From"],
  to: ["结束", "To"],
  repeatDays: ["连续天数", "Days in a row"],
  shiftNote: ["备注", "Note"],
  nobodyOnShift: ["现在无人值班", "Nobody is on shift now"],
  nextShiftAt: ["下一班开始：{at}", "Next shift starts {at}"],
  onShiftNow: ["现在值班：{names}", "On shift now: {names}"],
  calendarNotKept: ["尚未排班：在线的人员即可接待客户。排班后，无人值班时智能助手会告诉客户下一班的时间。", "No shifts yet: whoever is online answers. Once shifts are kept, the assistant tells customers when the next shift starts."],
  bankTime: ["时间为服务所在时区 {zone}", "Times are the service's time zone, {zone}"],
  shiftOvernight: ["结束早于开始时视为次日", "An end before the start is the next day"],
  // settings: SLA, priorities, holidays, 回访 plans, VIPs
  settings: ["服务设置", "Service settings"],
  slaPolicies: ["时限标准", "SLA limits"],
  policiesHint: ["新建工单按此计算时限；已有工单保留原时限", "New tickets get these limits; open tickets keep theirs"],
  addPolicy: ["新增类别时限", "Add a category's limits"],
  resolutionLimit: ["解决时限", "Resolution"],
  calendar: ["计时方式", "Clock"],
  priorityRules: ["优先级规则", "Priority rules"],
  rulesHint: ["按类别与子类确定优先级，越具体的规则优先", "The priority of a category and subcategory; the most specific rule wins"],
  subcategory: ["子类", "Subcategory"],
  holidays: ["节假日", "Holidays"],
  holidaysHint: ["按工作时间计时的时限不计节假日", "Limits on business hours skip these days"],
  holidayName: ["名称", "Name"],
  revisitPlans: ["回访计划", "回访 plans"],
  plansHint: ["工单关闭后多久回访；越具体的计划优先，停用即不回访", "How long after closing a ticket is followed up; the most specific plan wins"],
  tier: ["客户等级", "Customer tier"],
  revisitAfter: ["关闭后回访", "Follow up after"],
  planOn: ["启用", "On"],
  planOff: ["不回访", "Off"],
  vipCustomers: ["VIP 客户", "VIP customers"],
  vipHint: ["VIP 客户优先转人工、优先接待；短信按手机号登记", "VIPs are handed to a person sooner and served first; SMS by phone number"],
  vipId: ["渠道用户标识（openid、chat id 或手机号）", "Channel identity (openid, chat id or phone)"],
  anyCategory: ["全部类别", "Any category"],
  anySub: ["全部子类", "Any subcategory"],
  anyTier: ["全部客户", "Any customer"],
  minutesUnit: ["分钟", "minutes"],
  policyApplies: ["保存后，新建的工单按新时限计算；已有工单的截止时间不变。", "Saved limits apply to tickets opened from now on; open tickets keep their deadlines."],
  auditTrail: ["审计日志", "Audit trail"],
  verifyChain: ["校验完整性", "Verify the chain"],
  chainIntact: ["审计日志完整：{n} 条记录", "The audit trail is intact: {n} entries"],
  chainBroken: ["审计日志被篡改：{problem}", "The audit trail was tampered with: {problem}"],
  actorFilter: ["操作人", "Who"],
  actionFilter: ["操作", "Action"],
  objectFilter: ["对象", "Object"],
  detail: ["详情", "Detail"],
  address: ["来源地址", "From"],
  // administration: people, teams, API tokens, passwords
  peopleAdmin: ["人员管理", "People"],
  apiTokens: ["API 令牌", "API tokens"],
  ok: ["确定", "OK"],
  create: ["创建", "Create"],
  findPerson: ["按用户名、姓名、工号或团队查找", "Find by login, name, staff number or team"],
  addPerson: ["新增人员", "Add a person"],
  publicName: ["客户看到的名字", "Shown to customers"],
  role: ["角色", "Role"],
  skills: ["技能", "Skills"],
  languages: ["服务语言", "Languages"],
  capacity: ["同时接待", "Chats at once"],
  capacityHint: ["同时接待的会话数", "how many chats at once"],
  accountState: ["账户状态", "Account"],
  enabled: ["正常", "Enabled"],
  disabled: ["已停用", "Disabled"],
  locked: ["已锁定", "Locked"],
  mustChangeState: ["待修改密码", "Must change password"],
  resetPassword: ["重置密码", "Reset password"],
  unlock: ["解锁", "Unlock"],
  enable: ["启用", "Enable"],
  disable: ["停用", "Disable"],
  noTeam: ["无团队", "No team"],
  displayName: ["显示名", "Display name"],
  staffNumber: ["工号", "Staff number"],
  teamsHint: ["团队用于分派工单、转接会话和统计指标", "Teams receive tickets and chats and have their own figures"],
  addTeam: ["新增团队", "Add a team"],
  teamKey: ["团队标识", "Team key"],
  members: ["成员", "Members"],
  disableConfirm: ["停用 {name}？其登录会话和 API 令牌将立即失效。", "Disable {name}? Their sessions and API tokens stop working at once."],
  disabledDone: ["已停用：结束 {sessions} 个会话，吊销 {tokens} 个令牌", "Disabled: {sessions} sessions ended, {tokens} tokens revoked"],
  resetConfirm: ["重置 {name} 的密码？其当前会话将结束，下次登录须修改密码。", "Reset {name}'s password? Their sessions end and they must choose a new password at the next sign-in."],
  passwordOnce: ["临时密码（仅显示一次）", "Temporary password (shown once)"],
  tempPassword: ["临时密码", "Temporary password"],
  newAccountHint: ["请将临时密码告知本人，首次登录时须设置新密码。", "Give the temporary password to the person; they choose their own at the first sign-in."],
  resetHint: ["请将临时密码告知本人，下次登录时须设置新密码。", "Give the temporary password to the person; they choose a new one at the next sign-in."],
  savedIt: ["我已记下", "I have noted it"],
  currentPassword: ["当前（临时）密码", "Current (temporary) password"],
  mustChange: ["管理员已重置您的密码，请先设置新密码（至少 10 个字符）。", "An administrator reset your password: choose a new one (at least 10 characters)."],
  newPassword: ["新密码", "New password"],
  newPasswordAgain: ["再次输入新密码", "New password again"],
  setPassword: ["设置新密码并登录", "Set the password and sign in"],
  passwordsDiffer: ["两次输入的新密码不一致", "The two new passwords differ"],
  sessionEnded: ["您的登录已结束，请重新登录", "Your session has ended; please sign in again"],
  tokensHint: ["供其他系统调用接口；令牌只在创建时显示一次", "For other systems calling the API; a token is shown once, when it is made"],
  addToken: ["新建令牌", "New token"],
  tokenName: ["令牌名称", "Token name"],
  scopes: ["权限", "Scopes"],
  expires: ["到期", "Expires"],
  lastUsed: ["最近使用", "Last used"],
  never: ["从未", "Never"],
  legacy: ["旧令牌", "legacy"],
  revoke: ["吊销", "Revoke"],
  revokeConfirm: ["吊销令牌 {name}？使用它的系统将立即无法调用。", "Revoke {name}? Systems using it are refused from their next call."],
  lifetimeDays: ["有效天数", "Lifetime (days)"],
  tokenOnce: ["新令牌（仅显示一次）", "New token (shown once)"],
  tokenOnceHint: ["请立即复制并妥善保存，关闭后无法再次查看。", "Copy it now and keep it safe; it cannot be shown again."],

};

const labels = {
  status: {
    new: ["新建", "New"], open: ["处理中", "Open"], pending_customer: ["等待客户", "Waiting for customer"],
    resolved: ["已解决", "Resolved"], closed: ["已关闭", "Closed"],
  },
  category: {
    complaint: ["投诉", "Complaint"], suggestion: ["建议", "Suggestion"],
    inquiry: ["咨询", "Inquiry"], incident: ["紧急事件", "Incident"],
  },
  sla: {
    on_track: ["正常", "On track"], at_risk: ["即将超时", "At risk"], breached: ["已超时", "Breached"],
    paused: ["已暂停", "Paused"], done: ["已完成", "Done"],
  },
  channel: {
    webchat: ["网页", "Web chat"], wechat: ["微信公众号", "WeChat"], wecom: ["企业微信客服", "WeCom"],
    sms: ["短信", "SMS"], telegram: ["Telegram", "Telegram"],
  },
  outcome: {
    reached: ["已联系上", "Reached"], no_answer: ["无人接听", "No answer"], voicemail: ["留言", "Voicemail"],
    wrong_number: ["号码错误", "Wrong number"], callback_requested: ["客户要求回电", "Call-back requested"],
  },
  reason: { plan: ["计划回访", "Plan"], low_score: ["低分回访", "Low score"] },
  result: {
    reached: ["已联系上", "Reached"], not_reached: ["未联系上", "Not reached"],
    wrong_number: ["号码错误", "Wrong number"], declined: ["客户拒绝", "Declined"],
  },
  revisitState: {
    open: ["待回访", "To do"], reached: ["已回访", "Reached"], unreached: ["多次未联系上", "Never reached"],
    wrong_number: ["号码错误", "Wrong number"], declined: ["客户拒绝", "Declined"],
  },
  satisfaction: {
    satisfied: ["满意", "Satisfied"], neutral: ["一般", "Neutral"], unsatisfied: ["不满意", "Unsatisfied"],
  },
  why: {
    customer_request: ["客户要求", "Customer asked"], p1: ["紧急事件", "P1 incident"],
    fallback: ["连续未能理解", "Not understood twice"], anger: ["客户情绪激动", "Customer upset"],
    distress: ["客户处于困境", "Customer in distress"], vip: ["VIP 客户", "VIP customer"],
    escalation: ["升级投诉风险（监管/媒体/诉讼）", "Escalation risk (regulator, media, court)"],
  },
  disposition: {
    resolved: ["已解决", "Resolved"], follow_up: ["需跟进", "Needs follow-up"],
    no_response: ["客户无回应", "No response"], other: ["其他", "Other"],
    left_queue: ["客户离开排队", "Left the queue"],
  },
  // who did something on a ticket when it was not a member of staff
  actor: {
    assistant: ["智能助手", "The assistant"], bot: ["智能助手", "The assistant"], customer: ["客户", "The customer"],
    system: ["系统", "The system"], agent: ["坐席", "An agent"],
    sla: ["时效监控", "SLA monitor"],
    migration: ["系统预置", "Shipped with Anxin"], starter: ["入门知识库", "The starter knowledge base"],
  },
  ruleKind: {
    greeting: ["问候语", "Greeting"], forbidden: ["禁用语", "Forbidden words"], disclosure: ["风险揭示", "Risk disclosure"],
    empathy: ["安抚共情", "Empathy"], identity: ["身份核实", "Identity check"], manual: ["人工评分", "Scored by people"],
  },
  role: { agent: ["坐席", "Agent"], supervisor: ["主管", "Supervisor"], admin: ["管理员", "Admin"] },
  scope: {
    "tickets:read": ["查看工单", "Read tickets"], "tickets:write": ["处理工单", "Work tickets"],
    "kb:read": ["查看知识库", "Read the knowledge base"], "kb:write": ["编辑知识库", "Edit the knowledge base"],
    "reports:read": ["查看报表", "Read reports"], "audit:read": ["查看审计日志", "Read the audit trail"],
    admin: ["系统管理（全部权限）", "Administration (every scope)"],
  },
  calendar: { "24x7": ["7×24 小时计时", "Around the clock"], business: ["工作时间计时", "Business hours"] },
  appealStateLabel: { open: ["处理中", "Waiting"], upheld: ["维持原评分", "Score kept"], changed: ["已调整评分", "Score changed"] },
  tokenState: { active: ["有效", "Active"], expired: ["已过期", "Expired"], revoked: ["已吊销", "Revoked"] },
  state: {
    online: ["在线", "Online"], away: ["离开", "Away"], watching: ["仅查看", "Watching"], offline: ["离线", "Offline"],
  },
  language: { zh: ["中文", "Chinese"], en: ["英文", "English"] },
  tier: { standard: ["普通客户", "Standard"], vip: ["VIP 客户", "VIP"] },
  event: { queued: ["转人工", "Handed to a person"], accepted: ["坐席接入", "Agent joined"], ended: ["会话结束", "Chat ended"] },
  sub: {
    card_lost: ["卡片挂失", "Lost card"], fraud: ["欺诈", "Fraud"], account_compromised: ["账户被盗", "Account compromised"],
    escalation_risk: ["升级风险", "Escalation risk"], other: ["其他", "Other"], agent: ["坐席建单", "Opened by an agent"],
  },
  intent: {
    greet: ["问候", "Greeting"], goodbye: ["道别", "Goodbye"], thanks: ["致谢", "Thanks"], affirm: ["肯定", "Yes"],
    deny: ["否定", "No"], faq: ["常见问题", "FAQ"], complaint: ["投诉", "Complaint"], suggestion: ["建议", "Suggestion"],
    inquiry: ["咨询", "Inquiry"], report_card_lost: ["挂失银行卡", "Lost card"], report_fraud: ["举报欺诈", "Fraud"],
    report_account_compromised: ["账户被盗", "Account compromised"], request_human: ["要求人工", "Asked for a person"],
    ticket_status: ["查询工单", "Ticket status"], out_of_scope: ["业务范围外", "Out of scope"],
  },
};

export function t(key, vars) {
  const pair = words[key];
  if (!pair) return key;
  const text = pair[lang.value === "en" ? 1 : 0];
  return vars ? text.replace(/\{(\w+)\}/g, (_, v) => vars[v]) : text;
}

// An escalation step and whom it reached, in words ("page:2" → 第2级值班呼叫).
export function escalationStep(step) {
  const [kind, what, n] = String(step).split(":");
  const zh = lang.value !== "en";
  if (kind === "page") return zh ? `第${what}级值班呼叫` : `Page, level ${what}`;
  if (kind === "warn") return what === "before" ? (zh ? "到期前预警" : "Warning before the deadline") : zh ? `时限已用 ${what}% 预警` : `Warning at ${what}% of the time`;
  if (kind === "breach") {
    const names = {
      first_response: ["首次响应超时", "First response breached"], resolution: ["解决超时", "Resolution breached"],
      next_response: [`第${n}次后续响应超时`, `Follow-up response ${n} breached`], callback: ["约定回电超时", "Call-back breached"],
    };
    return (names[what] || [step, step])[zh ? 0 : 1];
  }
  return step;
}
export function escalationTarget(target) {
  const [kind, ...rest] = String(target).split(":");
  const value = rest.join(":");
  const zh = lang.value !== "en";
  if (kind === "oncall") return zh ? `第${value}级值班` : `on call, level ${value}`;
  if (kind === "supervisor") return zh ? `主管${value ? `（${value}）` : ""}` : `supervisor${value ? ` (${value})` : ""}`;
  if (kind === "agent") return value;
  if (kind === "team") return value === "unassigned" ? (zh ? "未分配团队" : "unassigned team") : zh ? `团队 ${value}` : `team ${value}`;
  return target;
}

// 0.714 → "71.4%"
export function percent(value) {
  return value === null || value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

// seconds → "3分12秒" / "3 min 12 s"
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  const m = Math.floor(s / 60);
  const zh = lang.value !== "en";
  if (m >= 60) return zh ? `${Math.floor(m / 60)}小时${m % 60}分` : `${Math.floor(m / 60)} h ${m % 60} min`;
  return zh ? `${m}分${s % 60}秒` : `${m} min ${s % 60} s`;
}

export function label(kind, value) {
  const pair = labels[kind] && labels[kind][value];
  if (!pair) return value ?? "";
  return pair[lang.value === "en" ? 1 : 0];
}

// A member of staff by their name; the assistant, the customer and the system in words.
export function actorName(actor) {
  return labels.actor[actor] ? label("actor", actor) : actor;
}

export function options(kind) {
  return Object.keys(labels[kind]).map((value) => ({ value, label: label(kind, value) }));
}

export function when(iso) {
  if (!iso) return "";
  const d = new Date(iso);
  return d.toLocaleString(lang.value === "en" ? "en-GB" : "zh-CN", {
    month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

// "08:30" (the browser's local time)
export function clock(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleTimeString(lang.value === "en" ? "en-GB" : "zh-CN", { hour: "2-digit", minute: "2-digit" });
}

export function left(iso, now) {
  // "3 h 20 min left" or "overdue 40 min"
  if (!iso) return "";
  let ms = new Date(iso).getTime() - now;
  const over = ms < 0;
  ms = Math.abs(ms);
  const minutes = Math.floor(ms / 60000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const d = Math.floor(h / 24);
  const zh = lang.value !== "en";
  const span = d >= 1 ? (zh ? `${d}天${h % 24}小时` : `${d} d ${h % 24} h`)
    : h >= 1 ? (zh ? `${h}小时${m}分` : `${h} h ${m} min`) : (zh ? `${m}分钟` : `${m} min`);
  if (over) return zh ? `已超时 ${span}` : `overdue ${span}`;
  return zh ? `剩余 ${span}` : `${span} left`;
}

// The tag colour of a priority (Element Plus tag types), the same on every screen.
export function priorityType(priority) {
  return { P1: "danger", P2: "warning", P3: "primary", P4: "info" }[priority] || "info";
}
