package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var resumeMove = campaignMove{
	move: "resume", heading: "console.confirm.resume_heading", button: "console.confirm.resume_button", action: model.AuditCampaignResumed,
	done: noticeCampaignResumed,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Resume(ctx, id)
	},
	explain: func(model.Campaign) []string {
		return []string{"console.confirm.resume_explain"}
	},
}

// CampaignResumeConfirm asks to confirm a resume.
func (con *Handler) CampaignResumeConfirm(c echo.Context) error {
	return con.confirmMove(c, resumeMove)
}

// CampaignResume resumes a paused campaign, audited.
func (con *Handler) CampaignResume(c echo.Context) error { return con.doMove(c, resumeMove) }
