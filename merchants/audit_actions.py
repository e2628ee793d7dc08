"""Every audit action of the merchants app, named once (stored value, and the label staff read).

Registered with ``core.audit.register_audit_actions`` in ``MerchantsConfig.ready()``. The
values are the strings earlier versions stored, so old entries keep their labels.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    # Staff, the register, claims and memberships
    STAFF_ASSIGN_ROLE = "staff.assign_role", _("设置工作人员岗位")
    CLAIM_CODE_ISSUE = "claim_code.issue", _("发放认领码")
    MERCHANT_CLAIM = "merchant.claim", _("认领市场主体")
    MEMBERSHIP_GRANT = "membership.grant", _("批准成员")
    MARKET_CLAIM_LETTERS = "market.claim_letters", _("市场开办方发放摊位认领函")
    MARKET_COMMITMENT_INVITE = "market.commitment_invite", _("市场开办方邀请摊位签署信用承诺")
    MERCHANT_CREATE = "merchant.create", _("新增市场主体")
    MERCHANT_UPDATE = "merchant.update", _("修改市场主体信息")
    MERCHANT_DELETE = "merchant.delete", _("删除市场主体")
    REGION_CREATE = "region.create", _("新增行政区划")
    REGION_UPDATE = "region.update", _("修改行政区划")
    REGION_DELETE = "region.delete", _("删除行政区划")
    # Accounts
    ACCOUNT_SIGNUP = "account.signup", _("注册账号")
    ACCOUNT_SIGNUP_EXISTING = "account.signup_existing", _("以已注册邮箱再次注册")
    ACCOUNT_EMAIL_CONFIRM = "account.email_confirm", _("确认邮箱")
    ACCOUNT_EMAIL_CONFIRM_RESEND = "account.email_confirm_resend", _("重发邮箱确认邮件")
    # Commitments, inspections, penalties
    COMMITMENT_SIGN = "commitment.sign", _("签署信用承诺")
    COMMITMENT_REVOKE = "commitment.revoke", _("撤销信用承诺")
    INSPECTION_RECORD = "inspection.record", _("录入检查结果")
    INSPECTION_CORRECT = "inspection.correct", _("更正检查结果")
    INSPECTION_SUPERSEDE = "inspection.supersede", _("复查结果取代原检查")
    PENALTY_RECORD = "penalty.record", _("录入行政处罚")
    PENALTY_REVOKE = "penalty.revoke", _("撤销行政处罚")
    PENALTY_DEADLINE_RECOMPUTE = "penalty.deadline_recompute", _("重算处罚公示期限")
    # Red and black lists, listing proposals
    LIST_ENTRY_ADD_RED = "list_entry.add_red", _("列入红名单")
    LIST_ENTRY_ADD_BLACK = "list_entry.add_black", _("列入黑名单")
    LIST_ENTRY_REMOVE = "list_entry.remove", _("移出名单")
    LIST_ENTRY_EXPIRE = "list_entry.expire", _("名单期满移出")
    LIST_ENTRY_ESCALATE = "list_entry.escalate", _("转入严重违法失信名单")
    LIST_PROPOSAL_OPEN = "list_proposal.open", _("提出列入严重违法失信名单建议")
    LIST_PROPOSAL_LISTED = "list_proposal.listed", _("决定列入严重违法失信名单")
    LIST_PROPOSAL_DISMISSED = "list_proposal.dismissed", _("决定不予列入")
    LIST_IMPORT = "list_entry.import", _("导入外部名单决定")
    # Joint discipline (联合惩戒): partner departments, their API keys and the feed (issue #20 item 4)
    PARTNER_DEPARTMENT_SAVE = "partner_department.save", _("保存联合惩戒部门")
    PARTNER_KEY_ISSUE = "partner_key.issue", _("签发部门接口密钥")
    PARTNER_KEY_REVOKE = "partner_key.revoke", _("吊销部门接口密钥")
    DISCIPLINE_FEED_READ = "discipline_feed.read", _("部门读取名单决定数据")
    DISCIPLINE_FEED_REFUSED = "discipline_feed.refused", _("拒绝超出范围的名单决定数据请求")
    DISCIPLINE_DAILY_FILE = "discipline_feed.daily_file", _("生成部门每日名单决定文件")
    # Credit repair
    REPAIR_SUBMIT = "repair.submit", _("提交信用修复申请")
    REPAIR_APPROVED = "repair.approved", _("准予信用修复")
    REPAIR_REFUSED = "repair.refused", _("不予信用修复")
    REPAIR_DEADLINE_RECOMPUTE = "repair.deadline_recompute", _("重算修复审核期限")
    # Ratings and the merchant's recourse
    RATING_RECOMPUTE = "rating.recompute", _("重新评定信用等级")
    RATING_POLICY_ACTIVATE = "rating_policy.activate", _("启用评定规则")
    APPEAL_FILE = "appeal.file", _("提出评定申诉")
    APPEAL_UPHELD = "appeal.upheld", _("申诉成立")
    APPEAL_DISMISSED = "appeal.dismissed", _("申诉不成立")
    REPLY_SUBMIT = "reply.submit", _("提交回应")
    REPLY_PUBLISHED = "reply.published", _("发布回应")
    REPLY_REJECTED = "reply.rejected", _("回应未通过审核")
    REPLY_WITHDRAWN = "reply.withdrawn", _("撤回回应")
    REINSPECTION_REQUEST = "reinspection.request", _("申请复查")
    REINSPECTION_SCHEDULED = "reinspection.scheduled", _("安排复查")
    REINSPECTION_REFUSED = "reinspection.refused", _("不予复查")
    REINSPECTION_DONE = "reinspection.done", _("完成复查")
    # Role-model stories (诚信典型库) and followers (issue #19 items 6 and 7)
    ROLE_MODEL_CREATE = "role_model.create", _("撰写诚信典型事迹")
    ROLE_MODEL_UPDATE = "role_model.update", _("修改诚信典型事迹")
    ROLE_MODEL_APPROVED = "role_model.approved", _("审核通过诚信典型事迹")
    ROLE_MODEL_RETURNED = "role_model.returned", _("退回诚信典型事迹")
    ROLE_MODEL_PUBLISHED = "role_model.published", _("发布诚信典型事迹")
    ROLE_MODEL_WITHDRAWN = "role_model.withdrawn", _("撤下诚信典型事迹")
    FOLLOWER_CONFIRM = "follower.confirm", _("确认关注市场主体")
    FOLLOWER_UNSUBSCRIBE = "follower.unsubscribe", _("退订关注")
