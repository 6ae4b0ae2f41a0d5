package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var cancelMove = campaignMove{
	move: "cancel", heading: "console.confirm.cancel_heading", button: "console.confirm.cancel_heading", tone: "secondary", action: model.AuditCampaignCancelled,
	done: noticeCampaignCancelled,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Cancel(ctx, id)
	},
	explain: func(c model.Campaign) []string {
		if c.State == model.CampaignDraft {
			return []string{"console.confirm.cancel_explain_draft"}
		}
		return []string{"console.confirm.cancel_explain_1", "console.confirm.cancel_explain_2"}
	},
}

// CampaignCancelConfirm asks to confirm a cancellation.
func (con *Handler) CampaignCancelConfirm(c echo.Context) error {
	return con.confirmMove(c, cancelMove)
}

// CampaignCancel calls a campaign off, audited.
func (con *Handler) CampaignCancel(c echo.Context) error { return con.doMove(c, cancelMove) }
