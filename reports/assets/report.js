// report.html's script: legend toggles and the operation timeline. It uses
// no library and no network; the timeline draws on a canvas from the JSON
// embedded in the page, only what is in view, so it stays fast with
// 100 000 ops.
(function () {
  'use strict';

  // A click on a legend entry hides or shows that series in its chart.
  document.querySelectorAll('.legend [data-toggle]').forEach(function (el) {
    el.addEventListener('click', function () {
      var fig = el.closest('figure');
      var off = el.classList.toggle('off');
      fig.querySelectorAll('[data-series="' + el.getAttribute('data-toggle') + '"]').forEach(function (n) {
        n.style.display = off ? 'none' : '';
      });
    });
  });

  var tl = setupTimeline();

  // "show" links in the fault table zoom the timeline on a window.
  document.querySelectorAll('a.zoom').forEach(function (a) {
    a.addEventListener('click', function (e) {
      if (!tl) return;
      e.preventDefault();
      var s = +a.getAttribute('data-s'), en = +a.getAttribute('data-e');
      var pad = Math.max((en - s) * 0.25, 1000);
      tl.zoomTo(s - pad, en + pad, true);
      document.getElementById('timeline').scrollIntoView();
    });
  });

  document.documentElement.setAttribute('data-ready', '1');

  function setupTimeline() {
    var dataEl = document.getElementById('timeline-data');
    var canvas = document.getElementById('tl-canvas');
    var wrap = document.getElementById('tl-wrap');
    var spacer = document.getElementById('tl-spacer');
    var tip = document.getElementById('tl-tip');
    var rangeEl = document.getElementById('tl-range');
    if (!dataEl || !canvas || !wrap || !spacer || !canvas.getContext) return null;
    var D = JSON.parse(dataEl.textContent);
    var ctx = canvas.getContext('2d');

    var COLORS = ['#9ca3af', '#3b82f6', '#e53935', '#f59e0b']; // pending, ok, fail, info
    var TYPES = ['pending', 'ok', 'fail', 'info'];
    var LABEL_W = 58, AXIS_H = 22, NEM_H = 18, GAP = 3, MAX_H = 560;
    var HEAD = AXIS_H + NEM_H + 6;

    // Absolute times (µs) and, per lane, the ops in order of start with
    // the running maximum of their ends, for binary search.
    var n = D.lane.length, nl = D.lanes.length;
    var LANE_H = nl <= 16 ? 22 : nl <= 40 ? 16 : 12;
    var start = new Float64Array(n), end = new Float64Array(n);
    var t = 0, i;
    for (i = 0; i < n; i++) {
      t += D.s[i];
      start[i] = t;
      end[i] = D.d[i] < 0 ? D.end : t + D.d[i];
    }
    var counts = new Int32Array(nl);
    for (i = 0; i < n; i++) counts[D.lane[i]]++;
    var lanes = [], maxEnd = [], fill = new Int32Array(nl), l;
    for (l = 0; l < nl; l++) { lanes.push(new Int32Array(counts[l])); maxEnd.push(new Float64Array(counts[l])); }
    for (i = 0; i < n; i++) {
      l = D.lane[i];
      var k0 = fill[l]++;
      lanes[l][k0] = i;
      maxEnd[l][k0] = k0 > 0 ? Math.max(maxEnd[l][k0 - 1], end[i]) : end[i];
    }

    var view = { t0: D.begin, t1: D.end };
    var W = 0, H = 0, dpr = 1, pending = false, drag = null;
    var totalH = HEAD + nl * LANE_H + 8;
    spacer.style.height = totalH + 'px';

    function layout() {
      dpr = window.devicePixelRatio || 1;
      W = Math.max(wrap.clientWidth, 300);
      H = Math.min(totalH, MAX_H - 2);
      canvas.style.width = W + 'px';
      canvas.style.height = H + 'px';
      canvas.width = Math.round(W * dpr);
      canvas.height = Math.round(H * dpr);
    }
    function plotW() { return W - LABEL_W - 8; }
    function scale() { return plotW() / (view.t1 - view.t0); }
    function X(t) { return LABEL_W + (t - view.t0) * scale(); }
    function T(x) { return view.t0 + (x - LABEL_W) / scale(); }

    // firstEnding returns the first op of lane l that ends at or after t.
    function firstEnding(l, t) {
      var me = maxEnd[l], lo = 0, hi = me.length;
      while (lo < hi) {
        var mid = (lo + hi) >> 1;
        if (me[mid] < t) lo = mid + 1; else hi = mid;
      }
      return lo;
    }

    function niceStep(raw) {
      var p = Math.pow(10, Math.floor(Math.log10(raw)));
      var ms = [1, 2, 5, 10];
      for (var j = 0; j < ms.length; j++) if (ms[j] * p >= raw) return ms[j] * p;
      return 10 * p;
    }
    function fmtSec(us, step) {
      var dec = step >= 1e6 ? 0 : step >= 1e5 ? 1 : step >= 1e4 ? 2 : step >= 1e3 ? 3 : 6;
      return (us / 1e6).toFixed(dec) + 's';
    }
    function fmtDur(us) {
      if (us < 1000) return us.toFixed(0) + 'µs';
      if (us < 1e6) return (us / 1000).toFixed(us < 1e4 ? 2 : 1) + 'ms';
      return (us / 1e6).toFixed(3) + 's';
    }

    function draw() {
      pending = false;
      var S = wrap.scrollTop, pw = plotW(), k = scale();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, W, H);
      ctx.font = '11px system-ui, sans-serif';
      ctx.textBaseline = 'middle';

      // Lanes, clipped below the header.
      ctx.save();
      ctx.beginPath();
      ctx.rect(LABEL_W, HEAD, pw, H - HEAD);
      ctx.clip();
      ctx.globalAlpha = 0.13;
      for (var w = 0; w < D.ws.length; w++) {
        var wx0 = Math.max(X(D.ws[w]), LABEL_W), wx1 = Math.min(X(D.we[w]), LABEL_W + pw);
        if (wx1 < wx0) continue;
        ctx.fillStyle = D.colors[D.wk[w]];
        ctx.fillRect(wx0, HEAD, Math.max(wx1 - wx0, 1), H - HEAD);
      }
      ctx.globalAlpha = 1;
      var l0 = Math.max(0, Math.floor(S / LANE_H)), l1 = Math.min(nl - 1, Math.ceil((S + H - HEAD) / LANE_H));
      var drawn = 0;
      for (var l = l0; l <= l1; l++) {
        var y = HEAD + l * LANE_H - S;
        if (l % 2) { ctx.fillStyle = 'rgba(0,0,0,0.025)'; ctx.fillRect(LABEL_W, y, pw, LANE_H); }
        var ids = lanes[l], lastX = -2, lastT = -1;
        for (var j = firstEnding(l, view.t0); j < ids.length; j++) {
          var id = ids[j];
          if (start[id] > view.t1) break;
          var xs = LABEL_W + (start[id] - view.t0) * k, xe = LABEL_W + (end[id] - view.t0) * k;
          // Ops that fall on the pixel just drawn, with its colour, add nothing.
          if (xe < lastX + 1 && D.t[id] === lastT) continue;
          ctx.fillStyle = COLORS[D.t[id]];
          ctx.fillRect(xs, y + 1, Math.max(xe - xs, 1), LANE_H - GAP);
          lastX = Math.max(xs + 1, xe);
          lastT = D.t[id];
          drawn++;
        }
      }
      ctx.restore();

      // Lane labels.
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, HEAD, LABEL_W - 2, H - HEAD);
      ctx.fillStyle = '#4b5563';
      ctx.textAlign = 'right';
      for (l = l0; l <= l1; l++) {
        var ly = HEAD + l * LANE_H - S + LANE_H / 2;
        if (ly > HEAD + 4) ctx.fillText(D.lanes[l], LABEL_W - 6, ly);
      }

      // Header: time axis and the nemesis row.
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, W, HEAD);
      var step = niceStep((view.t1 - view.t0) / Math.max(pw / 90, 1));
      ctx.strokeStyle = '#9ca3af';
      ctx.fillStyle = '#4b5563';
      ctx.textAlign = 'center';
      ctx.beginPath();
      for (var tt = Math.ceil(view.t0 / step) * step; tt <= view.t1; tt += step) {
        var tx = X(tt);
        ctx.moveTo(tx + 0.5, AXIS_H - 5);
        ctx.lineTo(tx + 0.5, AXIS_H);
        ctx.fillText(fmtSec(tt, step), tx, 8);
      }
      ctx.moveTo(LABEL_W, AXIS_H + 0.5);
      ctx.lineTo(LABEL_W + pw, AXIS_H + 0.5);
      ctx.stroke();
      ctx.textAlign = 'right';
      ctx.fillText('nemesis', LABEL_W - 6, AXIS_H + 3 + NEM_H / 2);
      ctx.save();
      ctx.beginPath();
      ctx.rect(LABEL_W, AXIS_H, pw, NEM_H + 6);
      ctx.clip();
      ctx.globalAlpha = 0.6;
      for (w = 0; w < D.ws.length; w++) {
        var nx0 = X(D.ws[w]), nx1 = X(D.we[w]);
        ctx.fillStyle = D.colors[D.wk[w]];
        ctx.fillRect(nx0, AXIS_H + 3, Math.max(nx1 - nx0, 2), NEM_H);
      }
      ctx.globalAlpha = 1;
      ctx.fillStyle = '#111827';
      for (var a = 0; a < D.as.length; a++) {
        var ax0 = X(D.as[a]), ax1 = X(D.ae[a]);
        ctx.fillRect(ax0, AXIS_H + 3 + NEM_H - 4, Math.max(ax1 - ax0, 1.5), 4);
      }
      ctx.restore();

      canvas.setAttribute('data-drawn', String(drawn));
      if (rangeEl) {
        rangeEl.textContent = 'showing ' + fmtSec(view.t0, 1000) + ' – ' + fmtSec(view.t1, 1000) + ' · ' +
          n + ' ops in ' + nl + ' lanes';
      }
    }
    function redraw() {
      if (!pending) { pending = true; window.requestAnimationFrame(draw); }
    }

    // zoomTo shows [a, b]: at once for a click, on the next frame for
    // the stream of events of a drag or a wheel.
    function zoomTo(a, b, now) {
      var span = Math.min(Math.max(b - a, 20), D.end - D.begin);
      a = Math.max(D.begin, Math.min(a, D.end - span));
      view.t0 = a;
      view.t1 = a + span;
      if (now) draw(); else redraw();
    }
    function zoomAt(f, t, now) { zoomTo(t - (t - view.t0) * f, t + (view.t1 - t) * f, now); }

    // hit finds what is under the pointer: an op, a nemesis action or a
    // fault window; null when nothing.
    function hit(mx, my) {
      if (mx < LABEL_W) return null;
      var t = T(mx), tol = 3 / scale(), best = -1, bestD = Infinity, j;
      if (my >= AXIS_H && my < HEAD) {
        for (j = 0; j < D.as.length; j++) {
          var d = t < D.as[j] ? D.as[j] - t : t > D.ae[j] ? t - D.ae[j] : 0;
          if (d <= tol && d < bestD) { best = j; bestD = d; }
        }
        if (best >= 0) {
          var txt = D.af[best] + '  at ' + fmtSec(D.as[best], 1000) + (D.ae[best] > D.as[best] ? ', took ' + fmtDur(D.ae[best] - D.as[best]) : '');
          if (D.av[best]) txt += '\n' + D.av[best];
          if (D.aerr[best]) txt += '\nerror: ' + D.aerr[best];
          return txt;
        }
        for (j = 0; j < D.ws.length; j++) {
          if (D.ws[j] <= t && t <= D.we[j]) {
            return D.kinds[D.wk[j]] + ' in place ' + fmtSec(D.ws[j], 1000) + ' – ' + fmtSec(D.we[j], 1000) + (D.wo[j] ? ' (never healed)' : '');
          }
        }
        return null;
      }
      if (my < HEAD) return null;
      var l = Math.floor((my - HEAD + wrap.scrollTop) / LANE_H);
      if (l < 0 || l >= nl) return null;
      var ids = lanes[l];
      for (j = firstEnding(l, t - tol); j < ids.length; j++) {
        var id = ids[j];
        if (start[id] > t + tol) break;
        var dd = t < start[id] ? start[id] - t : t > end[id] ? t - end[id] : 0;
        if (dd < bestD) { best = id; bestD = dd; }
      }
      if (best < 0 || bestD > tol) return null;
      return describe(best);
    }
    function describe(id) {
      var lines = [];
      var key = D.keys[D.k[id]];
      lines.push(D.f[D.fi[id]] + (key ? ' ' + key : '') + (D.v[id] ? '  ' + D.v[id] : ''));
      var how = D.d[id] < 0 ? 'never completed' : TYPES[D.t[id]] + ', took ' + fmtDur(D.d[id]);
      lines.push(how + '  ·  invoked at ' + fmtSec(start[id], 1000));
      lines.push('process ' + D.p[id] + (D.nodes[D.n[id]] ? '  ·  node ' + D.nodes[D.n[id]] : '') + '  ·  history #' + D.i[id]);
      if (D.e[id]) lines.push('error: ' + D.errs[D.e[id]]);
      return lines.join('\n');
    }
    function showTip(e) {
      var r = canvas.getBoundingClientRect();
      var txt = hit(e.clientX - r.left, e.clientY - r.top);
      if (!txt) { tip.style.display = 'none'; return; }
      tip.textContent = txt;
      tip.style.display = 'block';
      var x = e.clientX + 14, y = e.clientY + 14;
      if (x + tip.offsetWidth > window.innerWidth - 4) x = e.clientX - tip.offsetWidth - 10;
      if (y + tip.offsetHeight > window.innerHeight - 4) y = e.clientY - tip.offsetHeight - 10;
      tip.style.left = x + 'px';
      tip.style.top = y + 'px';
    }

    canvas.addEventListener('mousemove', function (e) {
      if (drag) {
        var dt = (e.clientX - drag.x) / scale();
        zoomTo(drag.t0 - dt, drag.t1 - dt);
        return;
      }
      showTip(e);
    });
    canvas.addEventListener('mousedown', function (e) {
      drag = { x: e.clientX, t0: view.t0, t1: view.t1 };
      canvas.classList.add('dragging');
      tip.style.display = 'none';
    });
    window.addEventListener('mouseup', function () {
      drag = null;
      canvas.classList.remove('dragging');
    });
    canvas.addEventListener('mouseleave', function () { tip.style.display = 'none'; });
    canvas.addEventListener('dblclick', function (e) {
      var r = canvas.getBoundingClientRect();
      zoomAt(e.shiftKey ? 2 : 0.5, T(e.clientX - r.left), true);
    });
    canvas.addEventListener('wheel', function (e) {
      var r = canvas.getBoundingClientRect();
      if (e.ctrlKey || e.metaKey) {
        e.preventDefault();
        zoomAt(e.deltaY > 0 ? 1.25 : 0.8, T(e.clientX - r.left));
      } else if (e.shiftKey || Math.abs(e.deltaX) > Math.abs(e.deltaY)) {
        e.preventDefault();
        var d = (e.deltaX || e.deltaY) / scale();
        zoomTo(view.t0 + d, view.t1 + d);
      }
    }, { passive: false });
    wrap.addEventListener('scroll', redraw);
    window.addEventListener('resize', function () { layout(); redraw(); });
    var center = function () { return (view.t0 + view.t1) / 2; };
    document.getElementById('tl-in').addEventListener('click', function () { zoomAt(0.5, center(), true); });
    document.getElementById('tl-out').addEventListener('click', function () { zoomAt(2, center(), true); });
    document.getElementById('tl-reset').addEventListener('click', function () { zoomTo(D.begin, D.end, true); });

    layout();
    var t0 = performance.now();
    draw();
    canvas.setAttribute('data-draw-ms', (performance.now() - t0).toFixed(1));
    return { zoomTo: zoomTo };
  }
})();
