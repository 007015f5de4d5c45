"""The audit inventory: every action that writes an audit event, with its Chinese description.

An action is ``对象.动作`` in English (``measure.update``); the description is what the
审计管理员 reads. A test (tests/audit/test_inventory.py) reads every ``action="…"`` and
``action=f"…"`` in src/ and fails, listing them, when one is missing here: add new actions
to this dict in the same change that records them.

Outcomes: ``ok`` (done), ``denied`` (refused: no permission, wrong state, stale page,
lockout) and ``failed`` (tried and failed: wrong password, bad code, damaged file).
"""

from __future__ import annotations

OUTCOMES: dict[str, str] = {"ok": "成功", "denied": "拒绝", "failed": "失败"}

#: Security-relevant actions, usually recorded with ``audit_security_event`` (after the rollback).
SECURITY_EVENTS: dict[str, str] = {
    # 身份鉴别 (login, second factor, sessions)
    "auth.login": "登录成功",
    "auth.login_failed": "登录失败",
    "auth.logout": "退出登录",
    "auth.lockout": "登录失败次数过多，账户锁定",
    "auth.locked_login": "账户锁定期间尝试登录",
    "auth.unlock": "解除账户锁定",
    "auth.otp_failed": "动态口令验证失败",
    "auth.otp_verified": "动态口令验证成功",
    "auth.otp_enrolled": "绑定动态口令",
    "auth.otp_reset": "重置动态口令",
    "auth.session_expired": "会话超时，已结束",
    "auth.password_change": "修改密码",
    "auth.password_change_failed": "修改密码失败",
    "auth.password_reset": "重置密码",
    "auth.password_expired": "密码已过期，要求修改",
    # 访问控制
    "access.denied": "越权访问被拒绝",
    "access.probe": "反复访问无权或不存在的页面（越权探测）",
    # 用户与权限 (安全管理员、系统管理员)
    "user.create": "新建用户",
    "user.disable": "停用用户",
    "user.enable": "启用用户",
    "role.change": "变更管理员角色",
    "approval.request": "提交须另一名管理员批准的变更（三员角色、账号恢复）",
    "approval.approve": "批准变更申请",
    "approval.reject": "驳回或撤回变更申请",
    "membership.grant": "授予单位角色",
    "membership.revoke": "撤销单位角色",
    "label.change": "变更密级标签",
    "clearance.change": "变更用户许可级别（主体安全标记）",
    "pii.view": "查看未脱敏的个人信息",
    "token.create": "创建接口令牌",
    "token.revoke": "撤销接口令牌",
    "token.use": "使用接口令牌访问接口",
    "auth.token": "接口令牌无效、过期或已撤销",
    "setting.change": "修改系统设置",
    # 系统运维
    "backup.create": "备份数据",
    "backup.restore": "恢复数据",
    "evidence.verify": "核验佐证材料完整性",
    # 审计 (审计管理员)
    "audit.read": "查阅审计记录",
    "audit.export": "导出审计记录",
    "audit.purge": "归档并清理过期审计记录",
}

#: Changes to the ledger and the documents made from it, recorded inside the change's transaction.
BUSINESS_EVENTS: dict[str, str] = {
    # 单位
    "unit.create": "新建单位",
    # 巡察轮次
    "round.create": "新建巡察轮次",
    "round.import": "导入巡察文件",
    "round.import_document": "导入文件到已有巡察轮次",
    "round.xlsx_import": "导入整改台账（Excel）",
    "round.xlsx_export": "导出整改台账（Excel）",
    "plan.sign": "签署整改方案",
    "plan.export": "导出整改方案",
    "notice.save": "保存整改进展通报",
    "notice.export": "导出整改进展通报",
    # 问题
    "finding.move": "调整问题位置",
    "finding.split": "拆分问题",
    "finding.merge": "合并问题",
    "finding.delete": "删除问题",
    "finding.restore": "恢复问题",
    "round.delete": "删除巡察轮次",
    "round.restore": "恢复巡察轮次",
    "finding.create": "新建问题",
    "finding.close": "对账销号",
    "finding.send_back": "退回问题整改",
    "finding.reopen": "重新打开问题",
    # 整改措施
    "measure.create": "新建整改措施",
    "measure.update": "修改整改措施",
    "round.update": "修改巡察轮次信息",
    "finding.update": "修改问题",
    "measure.assign": "分配责任",
    "measure.split": "拆分整改措施",
    "measure.move": "调整措施顺序",
    "measure.delete": "删除整改措施",
    "measure.start": "开始整改",
    "measure.submit": "提交审核",
    "measure.approve": "审核通过",
    "measure.approve_stage": "审核为阶段性完成",
    "measure.return": "审核退回",
    "measure.submit_leader": "提交责任领导审核",
    "measure.leader_approve": "责任领导审核通过",
    "measure.leader_return": "责任领导退回",
    "measure.send_back": "退回整改",
    "measure.accept_suggestion": "采用建议时限",
    # 整改进展与佐证材料
    "progress.add": "填报整改进展",
    "evidence.upload": "上传佐证材料",
    "evidence.download": "下载佐证材料",
    "evidence.delete": "删除佐证材料",
    "evidence.refused": "拒收佐证材料（类型或内容不安全）",
    # 督办：预警、延期、核验、回头看、成效评估、督办单
    "supervision.remind": "计算并发送到期预警（绿、黄、红、黑）",
    "supervision.settings": "修改督办设置（预警档次、阈值）",
    "supervision.stats_refresh": "重新统计督办看板数据（各巡察轮次的问题、措施、预警、延期数）",
    "round.prereview": "设置责任领导预审",
    "measure.extend_deadline": "延长完成时限（同意延期申请，原时限保留）",
    "extension.request": "申请延期",
    "extension.decide": "审批延期申请",
    "extension.withdraw": "撤回延期申请",
    "measure.verify": "核验整改成效（核验有效或核验退回）",
    "lookback.create": "安排巡察整改“回头看”",
    "lookback.check": "回头看核查问题（巩固良好或反弹）",
    "lookback.complete": "完成回头看",
    "evaluation.scheme": "套用整改成效评估默认方案",
    "evaluation.indicator": "新增、修改或删除整改成效评估指标",
    "evaluation.score": "整改成效评估评分",
    "order.issue": "发出督办单",
    "order.reply": "回复督办单",
    "order.close": "办结督办单",
    "order.return": "退回督办单回复",
    # 信息公开与群众监督
    "report.export": "导出整改情况报告",
    "report.save": "保存整改情况报告",
    "publication.create": "创建公开编号（首次公开前检查）",
    "publication.check_decide": "处理公开前检查结果（遮盖或保留）",
    "publication.submit": "提交公开文档审批",
    "publication.approve": "审批发布公开文档",
    "publication.reject": "退回公开文档",
    "feedback.receive": "收到群众反馈",
    "feedback.accept": "受理群众反馈",
    "feedback.merge": "合并重复的群众反馈",
    "feedback.reject": "群众反馈不予受理",
    "feedback.forward": "转办群众反馈",
    "feedback.link": "群众反馈关联整改问题",
    "feedback.clue": "群众反馈作为新问题线索",
    "feedback.reply": "答复群众反馈",
    "feedback.purge": "按保存期限清除群众反馈中的个人信息",
    "feedback.attachment_download": "下载群众反馈附件",
    # 消息
    "notify.deliver": "发送待发的电子邮件和短信（本轮发送、重试、放弃的条数）",
    "notify.preference": "修改本人的提醒设置（电子邮件、短信、每日汇总）",
}

#: Security events that come with every request of a machine (each use of an API token): kept
#: in the chain like any other, but not checkpointed one by one as the other security events
#: are (a checkpoint counts the chain; per request, its cost would grow with the trail). The
#: ``AUDIT_CHECKPOINT_EVERY``-th event and the timer still checkpoint them.
ROUTINE_SECURITY_EVENTS: frozenset[str] = frozenset({"token.use"})

#: The whole inventory: action → Chinese description.
EVENTS: dict[str, str] = {**SECURITY_EVENTS, **BUSINESS_EVENTS}


def describe(action: str) -> str:
    """The Chinese description of an action (the action itself when it is not in the inventory)."""
    return EVENTS.get(action, action)


def describe_outcome(outcome: str) -> str:
    return OUTCOMES.get(outcome, outcome)
