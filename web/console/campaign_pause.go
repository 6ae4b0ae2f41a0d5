package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var pauseMove = campaignMove{
	move: "pause", heading: "console.confirm.pause_heading", button: "console.confirm.pause_button", tone: "secondary", action: model.AuditCampaignPaused,
	done: noticeCampaignPaused,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Pause(ctx, id)
	},
	explain: func(model.Campaign) []string {
		return []string{"console.confirm.pause_explain_1", "console.confirm.pause_explain_2"}
	},
}

// CampaignPauseConfirm asks to confirm a pause.
func (con *Handler) CampaignPauseConfirm(c echo.Context) error { return con.confirmMove(c, pauseMove) }

// CampaignPause pauses a running campaign, audited.
func (con *Handler) CampaignPause(c echo.Context) error { return con.doMove(c, pauseMove) }
