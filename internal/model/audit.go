package model

// AuditAction names what a staff member (or an operator) did, noun.verb so that one prefix
// finds a family. Stored in the append-only audit log, so values never change.
type AuditAction string

// The audit actions.
const (
	AuditStaffCreated         AuditAction = "staff.created"
	AuditStaffPasswordLink    AuditAction = "staff.password_link"
	AuditStaffPasswordSet     AuditAction = "staff.password_set"
	AuditStaffLogin           AuditAction = "staff.login"
	AuditStaffLoginFailed     AuditAction = "staff.login_failed"
	AuditStaffLocked          AuditAction = "staff.locked"
	AuditStaffLogout          AuditAction = "staff.logout"
	AuditStaffDisabled        AuditAction = "staff.disabled"
	AuditStaffEnabled         AuditAction = "staff.enabled"
	AuditStaffUnlocked        AuditAction = "staff.unlocked"
	AuditOwnerSearched        AuditAction = "owner.searched"
	AuditOwnerViewed          AuditAction = "owner.viewed"
	AuditLinkEmailed          AuditAction = "link.emailed"
	AuditLinkShown            AuditAction = "link.shown"
	AuditImpersonationStart   AuditAction = "impersonation.started"
	AuditImpersonationPage    AuditAction = "impersonation.page_viewed"
	AuditImpersonationRefused AuditAction = "impersonation.action_refused"
	AuditImpersonationEnd     AuditAction = "impersonation.ended"
	AuditExported             AuditAction = "audit.exported"
	// AuditTimelineExported: an owner's timeline downloaded as CSV.
	AuditTimelineExported AuditAction = "owner.timeline_exported"
	AuditJobsChanged      AuditAction = "jobs.changed"
	// AuditInboxRetried: a received event that failed for good was put
	// back in line to be applied again.
	AuditInboxRetried AuditAction = "inbox.retried"
	// AuditPruned is the chain anchor that prune-audit writes: which rows
	// were removed and the hash of the last one, so the chain that remains
	// still verifies.
	AuditPruned AuditAction = "audit.pruned"
	// AuditOwnerErased records an owner's erasure, naming them only by
	// their pseudonym.
	AuditOwnerErased          AuditAction = "owner.erased"
	AuditCampaignCreated      AuditAction = "campaign.created"
	AuditCampaignUpdated      AuditAction = "campaign.updated"
	AuditCampaignListUploaded AuditAction = "campaign.list_uploaded"
	AuditCampaignLaunched     AuditAction = "campaign.launched"
	AuditCampaignPaused       AuditAction = "campaign.paused"
	AuditCampaignResumed      AuditAction = "campaign.resumed"
	AuditCampaignFinished     AuditAction = "campaign.finished"
	AuditCampaignCancelled    AuditAction = "campaign.cancelled"
	// A staff member emailed themselves a campaign's notice preview.
	AuditCampaignTestSent AuditAction = "campaign.test_sent"
	// The campaign paused itself: its last wave bounced, drew complaints
	// or failed at Connect too often (no staff member acted).
	AuditCampaignAutoPaused AuditAction = "campaign.auto_paused"
	// A staff member emailed the owners who have not finished a campaign,
	// ahead of its schedule.
	AuditCampaignFollowUp AuditAction = "campaign.follow_up"
	// Sign-in through the company's OpenID Connect provider: an account
	// made on a first sign-in, a password account joined to its identity
	// at the provider, and a role changed by the provider's groups.
	AuditStaffSSOCreated     AuditAction = "staff.sso_created"
	AuditStaffSSOLinked      AuditAction = "staff.sso_linked"
	AuditStaffSSORoleChanged AuditAction = "staff.sso_role_changed"
	// A staff member chose the console's language (or to follow the browser).
	AuditStaffLanguageSet AuditAction = "staff.language_set"
)

// AuditActions lists every action in the order the audit log's filter offers them.
var AuditActions = []AuditAction{
	AuditStaffLogin, AuditStaffLoginFailed, AuditStaffLocked, AuditStaffLogout,
	AuditStaffCreated, AuditStaffPasswordLink, AuditStaffPasswordSet, AuditStaffDisabled, AuditStaffEnabled, AuditStaffUnlocked,
	AuditOwnerSearched, AuditOwnerViewed, AuditLinkEmailed, AuditLinkShown,
	AuditImpersonationStart, AuditImpersonationPage, AuditImpersonationRefused, AuditImpersonationEnd,
	AuditExported, AuditTimelineExported, AuditJobsChanged, AuditInboxRetried, AuditPruned, AuditOwnerErased,
	AuditCampaignCreated, AuditCampaignUpdated, AuditCampaignListUploaded, AuditCampaignLaunched,
	AuditCampaignPaused, AuditCampaignResumed, AuditCampaignFinished, AuditCampaignCancelled,
	AuditCampaignTestSent, AuditCampaignAutoPaused, AuditCampaignFollowUp,
	AuditStaffSSOCreated, AuditStaffSSOLinked, AuditStaffSSORoleChanged,
	AuditStaffLanguageSet,
}
