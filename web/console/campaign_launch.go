package console

import (
	"context"

	"github.com/labstack/echo/v4"

	"reconnect/internal/campaign"
	"reconnect/internal/model"
)

var launchMove = campaignMove{
	move: "launch", heading: "Launch the campaign", button: "Launch and start telling owners", action: model.AuditCampaignLaunched,
	done: noticeCampaignLaunched, cohort: true,
	do: func(s *campaign.Service, ctx context.Context, id int64) (model.Campaign, error) {
		return s.Launch(ctx, id)
	},
	explain: func(c model.Campaign) []string {
		return []string{
			"Launching draws the cohort below as it stands now and writes every notice of the schedule for each owner. Vehicles that match later join by themselves.",
			"Owners are emailed from now on, beginning with any notice already due. A launch cannot be undone: you can pause or cancel it, but emails already sent stay sent.",
		}
	},
}

// CampaignLaunchConfirm asks to confirm a launch, showing the cohort once more.
func (con *Handler) CampaignLaunchConfirm(c echo.Context) error {
	return con.confirmMove(c, launchMove)
}

// CampaignLaunch launches a draft, audited.
func (con *Handler) CampaignLaunch(c echo.Context) error { return con.doMove(c, launchMove) }
