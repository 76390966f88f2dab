package reports

import (
	_ "embed"
	"fmt"
	"html/template"
)

// The page's style and script live in assets/ so they can be edited as
// CSS and JavaScript; they are inlined into every report.
var (
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.js
	reportJS string
)

var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1": func(v float64) string { return fmt.Sprintf("%.1f", v) },
}).Parse(pageHTML))

// errorSink is the first script of the page: it records uncaught errors on
// the <html> element (data-js-errors), so a headless browser's DOM dump
// shows whether the page's scripts failed.
const errorSink = `(function () {
  var errs = [];
  function note(msg) {
    errs.push(String(msg));
    document.documentElement.setAttribute('data-js-errors', errs.join(' | '));
  }
  window.addEventListener('error', function (e) { note(e.message + ' at ' + (e.filename || '') + ':' + (e.lineno || 0)); });
  window.addEventListener('unhandledrejection', function (e) { note('unhandled rejection: ' + e.reason); });
})();`

const pageHTML = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>faultline: {{.Title}}</title>
<script>` + errorSink + `</script>
<style>{{.CSS}}</style>
</head>
<body>
<h1>faultline run {{.Title}}</h1>
<div class="muted mono">{{.Dir}}</div>
<div class="banner {{.Verdict}}" id="verdict">{{.Verdict}}
<small>{{range $i, $c := .Checkers}}{{if $i}} · {{end}}{{$c.Name}}: {{$c.Verdict}}{{else}}no checker results{{end}}</small></div>
{{if .Failed}}<div class="failed{{if ne .Verdict "invalid"}} unknown-only{{end}}" id="what-failed">
<strong>{{if eq .Verdict "invalid"}}What failed{{else}}What could not be decided{{end}}</strong>
<ul>{{range .Failed}}<li><strong>{{.K}}</strong> — {{.V}}</li>{{end}}</ul>
{{if .Explain}}<p id="explanation">{{.Explain}}</p>{{end}}
</div>
{{end}}{{range .Warnings}}<div class="warn">{{.}}</div>
{{end}}<nav class="toc">{{if .Figures}}<a href="#charts">charts</a><a href="#availability">availability</a><a href="#timeline">timeline</a>{{end}}{{if .Linear}}<a href="#linearizability">linearizability</a>{{end}}<a href="#checkers">checkers</a><a href="#config">configuration</a><a href="#operations">operations</a><a href="#faults">faults</a>{{if .NodeLogs}}<a href="#logs">node logs</a>{{end}}<a href="#files">files</a></nav>

<h2 id="config">Configuration</h2>
<div class="config">
{{range .Config}}<div><b>{{.K}}</b> <span>{{.V}}</span></div>
{{end}}</div>
{{if .Command}}<p>Reproduce with:</p>
<pre id="command">{{.Command}}</pre>
{{end}}
{{if .Figures}}<h2 id="charts">Over time</h2>
{{if .Kinds}}<div class="legend kinds">Faults: {{range .Kinds}}<span><i class="sw" style="background: {{.V}}; opacity: .6"></i>{{.K}}</span>{{end}}</div>
{{end}}{{range .Figures}}<figure id="{{.ID}}">
<figcaption>{{.Title}}<span class="note">{{.Note}}</span>
<span class="legend">{{range .Legend}}<span data-toggle="{{.ID}}" title="click to hide or show"><i class="sw {{.Class}} {{.Marker}}"></i>{{.Label}}{{if .Count}} ({{.Count}}){{end}}</span>{{end}}</span></figcaption>
{{.SVG}}
</figure>
{{end}}{{if .LatencyRows}}<h3 id="latency-table">Latency by operation and outcome</h3>
<table>
<tr><th>f</th><th>outcome</th><th class="n">ops</th><th class="n">p50</th><th class="n">p90</th><th class="n">p99</th><th class="n">p99.9</th><th class="n">max</th></tr>
{{range .LatencyRows}}<tr><td>{{.F}}</td><td>{{.Type}}</td><td class="n">{{.N}}</td><td class="n">{{.P50}}</td><td class="n">{{.P90}}</td><td class="n">{{.P99}}</td><td class="n">{{.P999}}</td><td class="n">{{.Max}}</td></tr>
{{end}}</table>
{{end}}
<h2 id="availability">Availability</h2>
<p class="muted">Client ops by when they completed: outside any fault, or while faults were in place (an op counts under each kind in place).</p>
<table>
<tr><th>when</th><th class="n">completed</th><th class="n">ok</th><th class="n">fail</th><th class="n">info</th><th class="n">ok fraction</th><th></th></tr>
{{range .Availability}}<tr><td>{{if .Color}}<i class="sw" style="background: {{.Color}}; opacity: .6"></i> {{end}}{{.When}}</td><td class="n">{{.Done}}</td><td class="n">{{.OK}}</td><td class="n">{{.Fail}}</td><td class="n">{{.Info}}</td><td class="n">{{.OKPct}}</td><td><span class="bar"><i class="ok" style="width: {{f1 .OKWidth}}%"></i><i class="info" style="width: {{f1 .InfoWidth}}%"></i><i class="fail" style="width: {{f1 .FailW}}%"></i></span></td></tr>
{{end}}</table>

<h2 id="timeline">Timeline</h2>
<p class="muted">Each client op is a bar from invocation to completion, one row per process (a process that replaced one retired after an indeterminate op shares its row). Blue ok, orange info, red fail, grey never completed; the top row shows fault windows and nemesis actions. Hover for details; drag or shift+wheel to pan, ctrl+wheel or double-click to zoom (shift+double-click zooms out).</p>
<div id="tl-controls"><button type="button" id="tl-in">zoom in</button><button type="button" id="tl-out">zoom out</button><button type="button" id="tl-reset">whole run</button><span class="legend"><span><i class="sw ok"></i>ok</span><span><i class="sw info"></i>info</span><span><i class="sw fail"></i>fail</span><span><i class="sw pending"></i>never completed</span></span><span id="tl-range" class="muted"></span></div>
<div id="tl-wrap"><div id="tl-spacer"><canvas id="tl-canvas" data-ops="{{.TimelineOps}}" aria-label="timeline of operations per process"></canvas></div></div>
<div id="tl-tip"></div>
<noscript><p class="muted">The timeline needs JavaScript.</p></noscript>
{{.Timeline}}
{{end}}
{{if .Linear}}<h2 id="linearizability">Linearizability</h2>
{{range .Linear}}<div class="anomaly"><strong>key {{.Key}}</strong>{{if .Href}} — <a href="{{.Href}}">Porcupine view</a>{{end}}
<div>{{.Plain}}</div>
<div class="exact">Checker: {{.Checker}}</div></div>
{{end}}{{if .LinearMore}}<p class="muted">… and {{.LinearMore}} more keys; see results.json.</p>
{{end}}{{if .Embed}}<details open><summary>Porcupine's view of key {{(index .Linear 0).Key}}: the history as Porcupine saw it, the longest linearizations it found, and the fault windows as annotations</summary>
<iframe class="porcupine" src="{{.Embed}}" title="Porcupine visualization" loading="lazy"></iframe>
</details>
{{end}}{{end}}
<h2 id="checkers">Checkers</h2>
{{if .Checkers}}<table>
<tr><th>checker</th><th>verdict</th><th>message</th></tr>
{{range .Checkers}}<tr><td>{{.Name}}</td><td><span class="badge {{.Verdict}}">{{.Verdict}}</span></td><td>{{.Message}}</td></tr>
{{end}}</table>
{{range .Checkers}}{{if .Anomalies}}<h3>{{.Name}}</h3>
{{range .Anomalies}}<div class="anomaly">⚠ {{.}}</div>
{{end}}{{if .MoreAnomalies}}<div class="muted">… and {{.MoreAnomalies}} more in results.json</div>
{{end}}{{end}}{{if .Details}}<details><summary>{{.Name}}: details</summary><pre>{{.Details}}</pre></details>
{{end}}{{end}}{{else}}<p class="muted">No checker results.</p>
{{end}}
<h2 id="operations">Operations</h2>
<table>
<tr><th>f</th><th class="n">invoked</th><th class="n">ok</th><th class="n">fail</th><th class="n">info</th><th class="n">pending</th></tr>
{{range .ByF}}<tr><td>{{.F}}</td><td class="n">{{.Invoke}}</td><td class="n">{{.OK}}</td><td class="n">{{.Fail}}</td><td class="n">{{.Info}}</td><td class="n">{{.Pending}}</td></tr>
{{end}}<tr><th>total</th><th class="n">{{.Total.Invoke}}</th><th class="n">{{.Total.OK}}</th><th class="n">{{.Total.Fail}}</th><th class="n">{{.Total.Info}}</th><th class="n">{{.Total.Pending}}</th></tr>
</table>
<p class="muted">{{.Stats.Ops}} history entries; ok: it happened; fail: it certainly did not; info: it may or may not have; pending: never completed.</p>

<h2 id="faults">Faults</h2>
{{if .Windows}}<table>
<tr><th>fault</th><th>what</th><th class="n">from (s)</th><th class="n">to (s)</th><th class="n">for (s)</th><th></th><th></th></tr>
{{range .Windows}}<tr><td><i class="sw" style="background: {{.Color}}; opacity: .6"></i> {{.Kind}}</td><td class="mono">{{.What}}</td><td class="n">{{.Start}}</td><td class="n">{{.End}}</td><td class="n">{{.Length}}</td><td>{{if .Open}}never healed{{end}}</td><td><a class="zoom" href="#timeline" data-s="{{.StartUS}}" data-e="{{.EndUS}}">show in timeline</a></td></tr>
{{end}}</table>
{{end}}{{if .Faults}}<details{{if le (len .Faults) 50}} open{{end}}><summary>{{len .Faults}} nemesis actions</summary>
<table>
<tr><th class="n">start (s)</th><th class="n">end (s)</th><th>f</th><th>outcome</th><th>value</th><th>error</th></tr>
{{range .Faults}}<tr><td class="n">{{.Start}}</td><td class="n">{{.End}}</td><td>{{.F}}</td><td>{{.Type}}</td><td class="mono">{{.Value}}</td><td>{{.Error}}</td></tr>
{{end}}</table>{{if .MoreFaults}}<p class="muted">… and {{.MoreFaults}} more in the history</p>{{end}}
</details>
{{else}}<p class="muted">No faults were injected.</p>
{{end}}
{{if .NodeLogs}}<h2 id="logs">Node logs</h2>
{{range .NodeLogs}}<details><summary>{{.Name}} ({{.Size}} bytes{{if .Clipped}}, last part shown{{end}})</summary>
<p><a href="{{.Href}}">full log</a></p>
<pre>{{.Text}}</pre>
</details>
{{end}}{{end}}
<h2 id="files">Files</h2>
<ul>
{{range .Links}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{if .Visuals}}<p>Porcupine visualizations (linearizable/):</p>
<ul>
{{range .Visuals}}<li><a href="{{.Href}}">{{.Text}}</a></li>
{{end}}</ul>
{{end}}
<script>{{.JS}}</script>
</body>
</html>
`
