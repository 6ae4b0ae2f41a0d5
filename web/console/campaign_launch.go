package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var launchMove = campaignMove{
	move: "launch", heading: "console.confirm.launch_heading", button: "console.confirm.launch_button", action: model.AuditCampaignLaunched,
	done: noticeCampaignLaunched, cohort: true,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Launch(ctx, id)
	},
	explain: func(c model.Campaign) []string {
		return []string{
			"console.confirm.launch_explain_1",
			"console.confirm.launch_explain_2",
		}
	},
}

// CampaignLaunchConfirm asks to confirm a launch, showing the cohort once more.
func (con *Handler) CampaignLaunchConfirm(c echo.Context) error {
	return con.confirmMove(c, launchMove)
}

// CampaignLaunch launches a draft, audited.
func (con *Handler) CampaignLaunch(c echo.Context) error { return con.doMove(c, launchMove) }
