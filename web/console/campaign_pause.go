package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var pauseMove = campaignMove{
	move: "pause", heading: "Pause the campaign", button: "Pause", tone: "secondary", action: model.AuditCampaignPaused,
	done: noticeCampaignPaused,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Pause(ctx, id)
	},
	explain: func(model.Campaign) []string {
		return []string{"No notice goes out while the campaign is paused. Owners can still reconnect, and completions still count.",
			"When you resume it, each owner gets at most one of the notices that fell due meanwhile."}
	},
}

// CampaignPauseConfirm asks to confirm a pause.
func (con *Handler) CampaignPauseConfirm(c echo.Context) error { return con.confirmMove(c, pauseMove) }

// CampaignPause pauses a running campaign, audited.
func (con *Handler) CampaignPause(c echo.Context) error { return con.doMove(c, pauseMove) }
