// The live cluster page: renders the snapshots GET /events pushes (Server-Sent Events), reconnects
// by itself when the stream drops or goes quiet, and drains errors with an optional Bearer token.
// Everything that came from Redis is set as text, never as markup.
'use strict';

(function () {
  const QUIET_MS = 5000; // no snapshot for this long: the stream is presumed dead and reopened
  const HISTORY_MS = 60000;
  const $ = (id) => document.getElementById(id);

  let source = null;
  let lastMessageAt = 0;
  let openedAt = 0;
  let lastSnapshot = null; // the last snapshot with Redis up
  let lastNodeId = null;
  let token = '';

  // ---- connection -------------------------------------------------------------------------

  function connect() {
    if (source) {
      source.close();
    }
    openedAt = Date.now();
    source = new EventSource('events');
    source.onmessage = (m) => {
      lastMessageAt = Date.now();
      let event;
      try {
        event = JSON.parse(m.data);
      } catch (e) {
        return;
      }
      setConnection('live');
      render(event);
    };
    source.onerror = () => {
      setConnection('lost');
      // the browser retries a dropped stream by itself unless it gave up (CLOSED)
      if (source.readyState === EventSource.CLOSED) {
        setTimeout(connect, 1000);
      }
    };
  }

  function watchdog() {
    const since = Math.max(lastMessageAt, openedAt);
    if (Date.now() - since > QUIET_MS) {
      setConnection('lost');
      connect();
    }
  }

  function setConnection(state) {
    document.body.dataset.connection = state;
    const who = lastNodeId ? 'node ' + lastNodeId : 'the node';
    if (state === 'live') {
      $('connection').textContent = 'live';
      $('node-alert').hidden = true;
    } else {
      $('connection').textContent = 'reconnecting…';
      const as = lastMessageAt ? ' The figures below are from ' + clock(lastMessageAt) + '.' : '';
      $('node-alert').textContent = 'Lost the connection to ' + who + '; reconnecting by itself.' + as;
      $('node-alert').hidden = false;
    }
  }

  // ---- rendering --------------------------------------------------------------------------

  function render(e) {
    lastNodeId = e.node.nodeId;
    $('served-by').textContent = e.node.nodeId;
    $('served-role').textContent = e.node.role + (e.node.epoch ? ', epoch ' + e.node.epoch : '');
    document.body.dataset.redis = e.redis;
    renderPlugins(e); // this node's own figures: shown whether or not Redis answers
    if (e.redis !== 'up') {
      renderRedisLost(e);
      drawCharts(e.history || [], null);
      return;
    }
    $('redis-alert').hidden = true;
    lastSnapshot = e;
    renderLeader(e);
    renderNodes(e);
    renderGrants(e);
    renderErrors(e);
    drawCharts(e.history || [], e);
  }

  function renderRedisLost(e) {
    const what = e.redis === 'error' ? 'Redis refuses this node\'s reads' : 'Node ' + e.node.nodeId + ' has lost Redis';
    let text = what + ': ' + e.redisProblem + '.';
    if (lastSnapshot) {
      text += ' The figures below are from ' + clock(lastSnapshot.serverTimeMs) + ' and are not updating.';
    }
    if (e.leaderSeen) {
      text += ' Last generator this node saw: ' + e.leaderSeen.nodeId + ', epoch ' + e.leaderSeen.epoch + '.';
    }
    $('redis-alert').textContent = text;
    $('redis-alert').hidden = false;
  }

  function renderLeader(e) {
    if (e.leader) {
      $('generator').textContent = e.leader.nodeId;
      $('epoch').textContent = String(e.leader.epoch);
      $('lease').textContent = e.leader.ttlMs >= 0 ? '(lease ' + e.leader.ttlMs + ' ms left)' : '';
    } else {
      $('generator').textContent = 'none (election under way)';
      $('epoch').textContent = String(e.epoch);
      $('lease').textContent = '';
    }
    const t = e.totals || {};
    $('totals').textContent = 'cluster totals: published ' + n(t.published || 0) + ' · processed '
        + n(t.processed || 0) + ' · errors ' + n(t.errors || 0) + ' · dead-lettered ' + n(t.deadLettered || 0);
  }

  function renderNodes(e) {
    const body = $('nodes').tBodies[0];
    const rows = [];
    for (const node of e.nodes) {
      const beat = node.intervalMs || 1000;
      // gone: Redis dropped its presence subscription (the process died); silent: heartbeats stopped
      const gone = node.presence === 'gone';
      const silent = gone || node.lastSeenMs > Math.max(2.5 * beat, beat + 1500);
      const tr = document.createElement('tr');
      tr.dataset.nodeId = node.nodeId;
      tr.dataset.role = node.role;
      tr.dataset.silent = String(silent);
      tr.dataset.presence = node.presence || 'unknown';
      if (silent) {
        tr.className = 'silent';
      } else if (node.role === 'generator') {
        tr.className = 'generator';
      }
      const id = node.nodeId + (node.nodeId === e.node.nodeId ? ' (this page)' : '');
      const role = node.role + (gone ? ' — gone' : silent ? ' — silent' : '');
      const seen = seconds(node.lastSeenMs) + ' ago';
      let rate;
      if (node.role === 'generator') {
        rate = node.publishedPerSec == null ? '—' : 'publishes ' + fixed(node.publishedPerSec);
      } else {
        rate = node.processedPerSec == null ? '—' : fixed(node.processedPerSec);
      }
      // what does its work, under its id: the handler's plug-in, or for the generator its source
      const work = node.role === 'generator' ? 'source: ' + (node.source || 'random') : (node.handler || 'random');
      const nodeCell = cell('th', id, 'node');
      nodeCell.append(document.createElement('br'), cell('span', work, 'work muted'));
      tr.append(nodeCell, cell('td', role, 'role role-' + (silent ? 'silent' : node.role)),
          cell('td', seen, 'seen'), cell('td', rate, 'num rate'));
      tr.firstChild.scope = 'row';
      if (node.http) {
        tr.firstChild.title = node.http; // its advertised address (http.advertise)
      }
      rows.push(tr);
    }
    body.replaceChildren(...rows);
    $('node-count').textContent = '(' + e.nodes.length + ')';
  }

  function renderPlugins(e) {
    const p = e.node && e.node.plugins;
    if (!p) {
      return;
    }
    const h = p.handler;
    const o = h.outcomes;
    $('plugin-handler').textContent = h.type;
    $('plugin-attempts').textContent = n(h.attempts) + ' attempts — ok ' + n(o.ok) + ', error ' + n(o.error)
        + ', failed ' + n(o.failed) + '; ' + n(h.inFlight) + ' in flight';
    const classes = Object.keys(h.failedAttempts).filter(k => h.failedAttempts[k] > 0)
        .map(k => k + ' ' + n(h.failedAttempts[k]));
    $('plugin-failures').textContent = 'failed attempts: ' + (classes.length ? classes.join(', ') : 'none');
    const l = h.latencyMs;
    $('plugin-latency').textContent = l.count > 0
        ? 'attempt time: p50 ' + l.p50 + ' ms, p99 ' + l.p99 + ' ms, max ' + l.max + ' ms (' + n(l.count) + ' timed)'
        : 'attempt time: none timed (a plug-in that answers at once is not timed)';
    const t = p.source.ticks;
    $('plugin-source').textContent = p.source.type;
    $('plugin-ticks').textContent = p.source.type === 'random'
        ? 'built-in random words'
        : 'ticks published ' + n(t.published) + ', empty ' + n(t.empty) + ', failed ' + n(t.failed)
          + ', timed out ' + n(t.timeout) + '; texts refused ' + n(p.source.refusedMessages);
  }

  function renderGrants(e) {
    const items = [];
    e.grants.forEach((g, i) => {
      const before = e.grants[i + 1];
      const li = document.createElement('li');
      li.dataset.epoch = String(g.epoch);
      li.dataset.node = g.node;
      let text = 'epoch ' + g.epoch + ' — ' + g.node + ' — ' + clock(g.ts) + ' (' + seconds(e.serverTimeMs - g.ts) + ' ago)';
      if (before && before.node !== g.node) {
        text += ', took over from ' + before.node;
      } else if (before) {
        text += ', granted again';
      }
      li.textContent = text;
      items.push(li);
    });
    if (items.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'no grants recorded yet';
      items.push(li);
    }
    $('grants').replaceChildren(...items);
  }

  function renderErrors(e) {
    $('error-count').textContent = e.errors.count == null ? 'unknown' : n(e.errors.count);
    const items = e.errors.latest.map((err) => {
      const li = document.createElement('li');
      li.title = 'error ' + err.errorId + (err.id ? ', message ' + err.id : '');
      if (err.raw != null) {
        li.append(cell('span', '(raw entry)', 'when'), cell('span', err.raw, 'text'));
      } else {
        const when = typeof err.ts === 'number' ? clock(err.ts) : String(err.ts);
        li.append(cell('span', when + ' · by ' + err.handler, 'when'), cell('span', String(err.text), 'text'));
      }
      return li;
    });
    $('latest-errors').replaceChildren(...items);
  }

  // ---- charts: small inline SVG, the last 60 s by Redis server time ------------------------

  function drawCharts(history, e) {
    const end = history.length ? history[history.length - 1][0] : 0;
    const points = history.filter((p) => p[0] >= end - HISTORY_MS);
    const published = points.map((p) => [p[0], p[1]]);
    const processed = points.map((p) => [p[0], p[2]]);
    const backlog = points.map((p) => [p[0], p[3]]);
    const rateMax = roundUp(Math.max(...published.map((p) => p[1]), ...processed.map((p) => p[1])));
    plot($('rate-chart'), end, rateMax, [[processed, ''], [published, 'dashed']]);
    const backlogMax = roundUp(Math.max(...backlog.map((p) => p[1])));
    plot($('backlog-chart'), end, backlogMax, [[backlog, '']]);
    if (e) {
      $('rate-now').textContent = 'now: processed ' + fixed(e.rates.processedPerSec) + '/s, published '
          + fixed(e.rates.publishedPerSec) + '/s (chart top: ' + rateMax + '/s)';
      // length counts messages; entries and pending count stream entries (a pack of messages is one)
      const packed = e.backlog.entries != null && e.backlog.entries !== e.backlog.length;
      $('backlog-now').textContent = 'now: ' + n(e.backlog.length) + ' waiting'
          + (packed ? ' in ' + n(e.backlog.entries) + ' stream entries, ' + n(e.backlog.pending) + ' entries'
            : ', ' + n(e.backlog.pending))
          + ' being handled (chart top: ' + n(backlogMax) + ')';
    }
  }

  // a round chart top a little above the highest value: 1, 2, 2.5, 5 or 10 times a power of ten
  function roundUp(highest) {
    const want = Math.max(1, highest * 1.2);
    const power = Math.pow(10, Math.floor(Math.log10(want)));
    return [1, 2, 2.5, 5, 10].map((f) => f * power).find((top) => top >= want);
  }

  function plot(svg, end, max, series) {
    const ns = 'http://www.w3.org/2000/svg';
    const lines = series.map(([pts, cls]) => {
      const line = document.createElementNS(ns, 'polyline');
      line.setAttribute('points', pts.map(([t, v]) =>
        (300 - (end - t) * 300 / HISTORY_MS).toFixed(1) + ',' + (88 - v * 84 / max).toFixed(1)).join(' '));
      if (cls) {
        line.setAttribute('class', cls);
      }
      return line;
    });
    svg.replaceChildren(...lines);
  }

  // ---- drain ------------------------------------------------------------------------------

  async function drain(ev) {
    ev.preventDefault();
    const button = $('drain');
    const result = $('drain-result');
    if (!$('token-row').hidden) {
      token = $('drain-token').value.trim();
    }
    const headers = token ? { Authorization: 'Bearer ' + token } : {};
    button.disabled = true;
    result.className = '';
    result.textContent = 'draining…';
    try {
      const r = await fetch('errors/drain', { method: 'POST', headers });
      let body = null;
      try {
        body = await r.json();
      } catch (e) {
        body = null;
      }
      if (r.status === 401 || r.status === 403) {
        $('token-row').hidden = false;
        result.className = 'failed';
        result.textContent = r.status + ' — ' + (token
          ? 'the node refused this token. Check http.token on the node and try again.'
          : 'this node requires a token to drain (http.token is set). Enter it above and press Drain again.');
        $('drain-token').focus();
      } else if (r.ok && body) {
        result.textContent = 'Drained ' + body.count + ' error' + (body.count === 1 ? '' : 's')
            + (body.heldByOtherRuns ? ' (' + body.heldByOtherRuns + ' held by other drain runs)' : '') + '.';
      } else {
        result.className = 'failed';
        result.textContent = 'Drain failed: ' + r.status + (body && body.error ? ' — ' + body.error : '');
      }
    } catch (e) {
      result.className = 'failed';
      result.textContent = 'Drain failed: the node did not answer (' + e.message + ').';
    } finally {
      button.disabled = false;
    }
  }

  // ---- formatting -------------------------------------------------------------------------

  function cell(tag, text, cls) {
    const el = document.createElement(tag);
    el.textContent = text;
    if (cls) {
      el.className = cls;
    }
    return el;
  }

  function n(v) {
    return v == null ? '—' : Number(v).toLocaleString('en');
  }

  function fixed(v) {
    return v == null ? '—' : Number(v).toFixed(1);
  }

  function seconds(ms) {
    return (Math.max(0, ms) / 1000).toFixed(1) + ' s';
  }

  function clock(ms) {
    const d = new Date(ms);
    const pad = (x, w) => String(x).padStart(w || 2, '0');
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('drain-form').addEventListener('submit', drain);
    connect();
    setInterval(watchdog, 1000);
  });
})();
