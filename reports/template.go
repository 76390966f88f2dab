package reports

import (
	"fmt"
	"html/template"
)

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"add": func(a, b float64) float64 { return a + b },
}).Parse(pageHTML))

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline: {{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1000px; padding: 16px 24px 48px; color: #222; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
pre { background: #f6f8fa; padding: 8px 10px; overflow-x: auto; border-radius: 4px; }
table { border-collapse: collapse; margin: 4px 0; }
th, td { text-align: left; padding: 3px 10px 3px 0; vertical-align: top; border-bottom: 1px solid #eee; }
th { font-weight: 600; color: #555; }
td.n, th.n { text-align: right; padding-left: 12px; }
.banner { padding: 14px 18px; border-radius: 6px; color: #fff; font-size: 20px; font-weight: 700; margin: 12px 0; }
.banner small { font-weight: 400; font-size: 13px; opacity: .9; display: block; }
.valid { background: #2e7d32; } .invalid { background: #c62828; } .unknown { background: #e6a100; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; }
.warn { background: #fff4e5; border-left: 4px solid #e6a100; padding: 6px 10px; margin: 4px 0; }
.anomaly { margin: 4px 0 4px 0; }
details summary { cursor: pointer; color: #555; }
svg text { font: 11px system-ui, sans-serif; fill: #444; }
svg .ok { fill: #6db6fe; } svg .info { fill: #ffaa26; } svg .fail { fill: #e57373; }
svg .shade { fill: #f3c77c; fill-opacity: .35; }
svg .axis { stroke: #888; stroke-width: 1; }
.muted { color: #777; }
</style>
</head>
<body>
<h1>faultline run {{.Title}}</h1>
<div class="muted mono">{{.Dir}}</div>
<div class="banner {{.Verdict}}">{{.Verdict}}
<small>{{range $i, $c := .Checkers}}{{if $i}} · {{end}}{{$c.Name}}: {{$c.Verdict}}{{else}}no checker results{{end}}</small></div>
{{range .Warnings}}<div class="warn">{{.}}</div>
{{end}}
<h2>Checkers</h2>
{{if .Checkers}}<table>
<tr><th>checker</th><th>verdict</th><th>message</th></tr>
{{range .Checkers}}<tr><td>{{.Name}}</td><td><span class="badge {{.Verdict}}">{{.Verdict}}</span></td><td>{{.Message}}</td></tr>
{{end}}</table>
{{range .Checkers}}{{if or .Anomalies .Details}}<h3>{{.Name}}</h3>
{{range .Anomalies}}<div class="anomaly">⚠ {{.}}</div>
{{end}}{{if .MoreAnomalies}}<div class="muted">… and {{.MoreAnomalies}} more</div>
{{end}}{{if .Details}}<details><summary>details</summary><pre>{{.Details}}</pre></details>
{{end}}{{end}}{{end}}{{else}}<p class="muted">No checker results.</p>
{{end}}
<h2>Configuration</h2>
<table>
{{range .Config}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>
{{end}}</table>
{{if .Command}}<p>Reproduce with:</p>
<pre>{{.Command}}</pre>
{{end}}
<h2>Operations</h2>
<table>
<tr><th>f</th><th class="n">invoked</th><th class="n">ok</th><th class="n">fail</th><th class="n">info</th><th class="n">pending</th></tr>
{{range .ByF}}<tr><td>{{.F}}</td><td class="n">{{.Invoke}}</td><td class="n">{{.OK}}</td><td class="n">{{.Fail}}</td><td class="n">{{.Info}}</td><td class="n">{{.Pending}}</td></tr>
{{end}}<tr><th>total</th><th class="n">{{.Total.Invoke}}</th><th class="n">{{.Total.OK}}</th><th class="n">{{.Total.Fail}}</th><th class="n">{{.Total.Info}}</th><th class="n">{{.Total.Pending}}</th></tr>
</table>
<p class="muted">{{.Stats.Ops}} history entries; ok: it happened; fail: it certainly did not; info: it may or may not have; pending: never completed.</p>
{{with .Chart}}<svg xmlns="http://www.w3.org/2000/svg" width="{{.W}}" height="{{.H}}" viewBox="0 0 {{.W}} {{.H}}" role="img" aria-label="client operations over time">
{{range .Shades}}<rect class="shade" x="{{f1 .X}}" y="{{f1 $.Chart.Top}}" width="{{f1 .W}}" height="{{f1 $.Chart.PlotH}}"><title>{{.Title}}</title></rect>
{{end}}{{range .Bars}}<g><title>{{.Title}}</title>{{$b := .}}{{range .Segs}}<rect class="{{.Class}}" x="{{f1 $b.X}}" y="{{f1 .Y}}" width="{{f1 $b.W}}" height="{{f1 .H}}"/>{{end}}</g>
{{end}}<line class="axis" x1="{{f1 .Left}}" y1="{{f1 .Bottom}}" x2="{{f1 .Left}}" y2="{{f1 .Top}}"/>
<line class="axis" x1="{{f1 .Left}}" y1="{{f1 .Bottom}}" x2="{{f1 (add .Left .PlotW)}}" y2="{{f1 .Bottom}}"/>
{{range .XTicks}}<line class="axis" x1="{{f1 .X}}" y1="{{f1 $.Chart.Bottom}}" x2="{{f1 .X}}" y2="{{f1 (add $.Chart.Bottom 4)}}"/><text x="{{f1 .X}}" y="{{f1 (add $.Chart.Bottom 16)}}" text-anchor="middle">{{.Label}}</text>
{{end}}<text x="{{f1 (add .Left -6)}}" y="{{f1 (add .Top 10)}}" text-anchor="end">{{.YMax}}</text>
<text x="{{f1 (add .Left -6)}}" y="{{f1 .Bottom}}" text-anchor="end">0</text>
<rect class="ok" x="{{f1 .Left}}" y="{{f1 (add .Bottom 24)}}" width="10" height="10"/><text x="{{f1 (add .Left 14)}}" y="{{f1 (add .Bottom 33)}}">ok ({{.TotalOK}})</text>
<rect class="info" x="{{f1 (add .Left 110)}}" y="{{f1 (add .Bottom 24)}}" width="10" height="10"/><text x="{{f1 (add .Left 124)}}" y="{{f1 (add .Bottom 33)}}">info ({{.TotInf}})</text>
<rect class="fail" x="{{f1 (add .Left 220)}}" y="{{f1 (add .Bottom 24)}}" width="10" height="10"/><text x="{{f1 (add .Left 234)}}" y="{{f1 (add .Bottom 33)}}">fail ({{.TotalFail}})</text>
<rect class="shade" x="{{f1 (add .Left 330)}}" y="{{f1 (add .Bottom 24)}}" width="10" height="10"/><text x="{{f1 (add .Left 344)}}" y="{{f1 (add .Bottom 33)}}">fault in place</text>
<text x="{{f1 (add .Left .PlotW)}}" y="{{f1 (add .Bottom 33)}}" text-anchor="end">completions per {{.Bucket}}</text>
</svg>
{{end}}
<h2>Faults</h2>
{{if .Windows}}<table>
<tr><th>fault</th><th class="n">from (s)</th><th class="n">to (s)</th><th class="n">for (s)</th><th></th></tr>
{{range .Windows}}<tr><td>{{.Kind}}</td><td class="n">{{.Start}}</td><td class="n">{{.End}}</td><td class="n">{{.Length}}</td><td>{{if .Open}}never healed{{end}}</td></tr>
{{end}}</table>
{{end}}{{if .Faults}}<details{{if le (len .Faults) 50}} open{{end}}><summary>{{len .Faults}} nemesis actions</summary>
<table>
<tr><th class="n">start (s)</th><th class="n">end (s)</th><th>f</th><th>outcome</th><th>value</th><th>error</th></tr>
{{range .Faults}}<tr><td class="n">{{.Start}}</td><td class="n">{{.End}}</td><td>{{.F}}</td><td>{{.Type}}</td><td class="mono">{{.Value}}</td><td>{{.Error}}</td></tr>
{{end}}</table>{{if .MoreFaults}}<p class="muted">… and {{.MoreFaults}} more in the history</p>{{end}}
</details>
{{else}}<p class="muted">No faults were injected.</p>
{{end}}
<h2>Files</h2>
<ul>
{{range .Links}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{if .Visuals}}<p>Porcupine visualizations (linearizable/):</p>
<ul>
{{range .Visuals}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{end}}{{if .NodeLogs}}<p>Node logs (nodes/):</p>
<ul>
{{range .NodeLogs}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{end}}
</body>
</html>
`
