package smartcarsim

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"strconv"
	"strings"
)

//go:embed templates/*.html
var templateFS embed.FS

type pages struct{ byName map[string]*template.Template }

// pageData is the one view model of the Connect pages; each page reads the
// fields it needs.
type pageData struct {
	Title        string
	AppName      string
	Session      string
	Error        string
	Message      string
	Brands       []string
	Make         string
	Reauth       bool
	Vehicles     []vehicleChoice
	Single       bool
	Scopes       []scopeChoice
	VehicleLabel string
}

type vehicleChoice struct {
	ID      string
	Label   string
	Checked bool
}

type scopeChoice struct {
	Name     string
	Label    string
	Required bool
	Checked  bool
}

func loadPages() *pages {
	p := &pages{byName: map[string]*template.Template{}}
	funcs := template.FuncMap{"brandName": brandName}
	for _, name := range []string{"error", "brand", "login", "vehicles", "grant", "confirm", "done"} {
		p.byName[name] = template.Must(template.New("").Funcs(funcs).ParseFS(templateFS,
			"templates/layout.html", "templates/"+name+".html"))
	}
	return p
}

// render writes into a buffer first so that a template error becomes a 500
// instead of half a page.
func (s *Sim) render(w http.ResponseWriter, status int, name string, data pageData) {
	data.AppName = s.cfg.AppName
	var buf bytes.Buffer
	if err := s.pages.byName[name].ExecuteTemplate(&buf, "layout", data); err != nil {
		s.log.Error("smartcarsim: render page", "page", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// brandName turns TESLA into Tesla for people; short makes such as BMW stay
// in capitals.
func brandName(brand string) string {
	if len(brand) <= 3 {
		return brand
	}
	return brand[:1] + strings.ToLower(brand[1:])
}

func (v *vehicle) label() string {
	if v == nil {
		return ""
	}
	year := ""
	if v.year != 0 {
		year = strconv.Itoa(v.year)
	}
	return strings.TrimSpace(year + " " + brandName(v.make) + " " + v.model)
}
