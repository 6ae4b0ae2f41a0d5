package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var cancelMove = campaignMove{
	move: "cancel", heading: "Cancel the campaign", button: "Cancel the campaign", tone: "secondary", action: model.AuditCampaignCancelled,
	done: noticeCampaignCancelled,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Cancel(ctx, id)
	},
	explain: func(c model.Campaign) []string {
		if c.State == model.CampaignDraft {
			return []string{"The draft is kept, cancelled, and can no longer be launched. Nobody was told about it."}
		}
		return []string{"Every pending notice is withdrawn and no more go out. Emails already sent stay sent; what owners did so far is kept.",
			"A cancelled campaign cannot be started again."}
	},
}

// CampaignCancelConfirm asks to confirm a cancellation.
func (con *Handler) CampaignCancelConfirm(c echo.Context) error {
	return con.confirmMove(c, cancelMove)
}

// CampaignCancel calls a campaign off, audited.
func (con *Handler) CampaignCancel(c echo.Context) error { return con.doMove(c, cancelMove) }
