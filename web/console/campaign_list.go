package console

import (
	"net/http"
	"net/url"
	"reconnect/internal/i18n"
	"strconv"

	"github.com/labstack/echo/v4"

	"reconnect/internal/store"
	consoleviews "reconnect/views/console"
	"reconnect/web/paths"
	"reconnect/web/render"
)

const campaignsPerPage = 50

// CampaignList lists campaigns newest first: name, make, state, cut-over
// and progress.
func (con *Handler) CampaignList(c echo.Context) error {
	if con.Campaigns == nil {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	before, _ := strconv.ParseInt(c.QueryParam("before"), 10, 64)
	list, err := con.Campaigns.List(ctx, store.Page{Before: before, Limit: campaignsPerPage + 1})
	if err != nil {
		return err
	}
	v := consoleviews.CampaignListView{Chrome: con.chrome(c, i18n.T(ctx, "console.campaigns.title"), "campaigns")}
	if v.Migrations, err = con.migrationAlerts(c); err != nil {
		return err
	}
	paused, err := con.Campaigns.AutoPaused(ctx)
	if err != nil {
		return err
	}
	for _, camp := range paused {
		v.AutoPaused = append(v.AutoPaused, *autoPauseBanner(ctx, camp, paths.ConsoleCampaign(camp.ID, nil), v.Admin))
	}
	if len(list) > campaignsPerPage {
		list = list[:campaignsPerPage]
		v.OlderURL = paths.ConsoleCampaigns(url.Values{"before": {strconv.FormatInt(list[len(list)-1].ID, 10)}})
	}
	for _, camp := range list {
		progress, err := con.listProgress(ctx, camp)
		if err != nil {
			return err
		}
		v.Rows = append(v.Rows, consoleviews.CampaignRow{Name: camp.Name, URL: paths.ConsoleCampaign(camp.ID, nil), Make: camp.Make,
			Chip: campaignChip(camp.State), Cutover: camp.CutoverAt, Progress: progress})
	}
	return render.HTML(c, http.StatusOK, consoleviews.CampaignList(v))
}
