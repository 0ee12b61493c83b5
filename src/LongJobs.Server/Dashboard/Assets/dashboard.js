// The LongJobs dashboard: reads jobs through the jobs API as the signed-in caller (its ownership rules decide what
// shows), follows them by server-sent events and polls while those are unavailable. Every URL is relative to the
// page, so it works under any path base. Cancel goes to the dashboard's own endpoint, with the page's antiforgery token.

const config = document.body.dataset;
const api = config.api;
const canOperate = config.canOperate === 'true';
const registeredKinds = new Set(config.kinds.split(' ').filter(Boolean));
const retryable = new Set(['Failed', 'Canceled']);
const finished = new Set(['Succeeded', 'Failed', 'Canceled']);
const statuses = ['Scheduled', 'Queued', 'Running', 'Succeeded', 'Failed', 'Canceled'];
const pollInterval = 2000;
const listDelay = 500;
const overviewDelay = 2000;
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'short', timeStyle: 'medium' });
const numberFormat = new Intl.NumberFormat();

const $ = id => document.getElementById(id);
const testId = (root, id) => root.querySelector(`[data-testid="${id}"]`);
const isFinished = state => finished.has(state.status);
const formatTime = value => (value ? dateFormat.format(new Date(value)) : '—');
const percent = state => Math.round((state.status === 'Succeeded' ? 1 : state.progress) * 100);

/**
 * Whether a job's state should replace the one shown. Events arrive in order, but the answer to a cancel may arrive
 * after the event that the job finished: a finished state is only replaced by a later attempt's, or by itself with
 * its result (list items leave results out).
 */
function supersedes(next, current) {
  if (!current || next.attempt > current.attempt) {
    return true;
  }
  if (next.attempt < current.attempt) {
    return false;
  }
  return !isFinished(current) || (isFinished(next) && 'result' in next);
}

// ---- Talking to the server ---------------------------------------------------------------------------------------

class Problem extends Error {
  constructor(problem, status) {
    super([problem.title, problem.detail].filter(Boolean).join(' ') || `HTTP ${status}`);
    this.status = status;
  }
}

async function request(url, init = {}) {
  const response = await fetch(url, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  const body = response.headers.get('Content-Type')?.includes('json') ? await response.json() : {};
  if (!response.ok) {
    throw new Problem(body, response.status);
  }
  return body;
}

const getJob = id => request(`${api}/${encodeURIComponent(id)}`);
const getHistory = id => request(`${api}/${encodeURIComponent(id)}/history`);
const getRequest = id => request(`_api/jobs/${encodeURIComponent(id)}/request`);
const getOverview = () => request('_api/overview');
const act = url => request(url, { method: 'POST', headers: { RequestVerificationToken: config.token } });
const cancelJob = id => act(`_api/jobs/${encodeURIComponent(id)}/cancel`);
const retryJob = id => act(`_api/jobs/${encodeURIComponent(id)}/retry`);
const pauseKind = (kind, pause) => act(`_api/kinds/${encodeURIComponent(kind)}/${pause ? 'pause' : 'resume'}`);
const pauseSchedule = (name, pause) => act(`_api/schedules/${encodeURIComponent(name)}/${pause ? 'pause' : 'resume'}`);
/** Whether the page offers to retry the job: it failed or was cancelled, and this server runs its kind (ad-hoc jobs cannot run again). */
const canRetry = state => canOperate && retryable.has(state.status) && registeredKinds.has(state.kind);

function showProblem(error) {
  const box = $('problem');
  box.textContent = error ? error.message : '';
  box.hidden = !error;
}

/**
 * Follows a server-sent event stream, calling onState with each job state, and poll once each time the stream opens;
 * falls back to calling poll every few seconds when the stream is refused or keeps failing. Returns a function that
 * stops both.
 */
function follow(url, onState, poll) {
  let source = new EventSource(url);
  let timer = null;
  let failures = 0;
  const usePolling = () => {
    source?.close();
    source = null;
    $('connection').textContent = 'Live: polling';
    poll();
    timer = setInterval(poll, pollInterval);
  };
  source.onopen = () => {
    failures = 0;
    $('connection').textContent = 'Live: server-sent events';
    // A change between the page's first read and the stream's start (or during a reconnect) has no event: read once.
    poll();
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED || ++failures >= 3) {
      usePolling();
    }
  };
  for (const name of ['status', 'progress', 'finished']) {
    source.addEventListener(name, event => onState(JSON.parse(event.data)));
  }
  return () => {
    source?.close();
    clearInterval(timer);
  };
}

/** Runs fn once, delay after the first of a burst of calls: at most once per delay however often jobs change. */
function throttle(fn, delay) {
  let timer = null;
  return () => {
    timer ??= setTimeout(() => {
      timer = null;
      fn();
    }, delay);
  };
}

// ---- Shared pieces -----------------------------------------------------------------------------------------------

function setStatus(element, state) {
  element.textContent = state.status;
  element.className = `status status-${state.status.toLowerCase()}`;
  element.title = state.cancellationRequested && !isFinished(state) ? 'Cancellation requested' : '';
}

function setProgress(bar, state) {
  bar.value = percent(state);
  bar.setAttribute('aria-valuenow', String(percent(state)));
}

/**
 * Runs an operator action from its button. The button is disabled before the request leaves (a double click sends one
 * request; the server also answers a second retry of a job with the first retry) and stays so after a success.
 */
async function perform(button, action) {
  if (button.disabled) {
    return null;
  }
  button.disabled = true;
  try {
    const answer = await action();
    showProblem(null);
    return answer;
  } catch (error) {
    showProblem(error);
    button.disabled = false;
    return null;
  }
}

const cancel = (id, button) => perform(button, () => cancelJob(id));

// ---- The overview and the list -----------------------------------------------------------------------------------

const list = { tokens: [null], page: 0, rows: new Map() };

/** The list's query from the filters; the time range's local date and time become instants with their offset (UTC). */
function filters() {
  const form = new FormData($('filters'));
  const query = new URLSearchParams();
  for (const [name, value] of form) {
    if (value) {
      query.set(name, name.startsWith('created') ? new Date(value).toISOString() : value.trim());
    }
  }
  return query;
}

const svgNs = 'http://www.w3.org/2000/svg';
const timeFormat = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });

function svg(tag, attributes, text) {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) {
    element.setAttribute(name, String(value));
  }
  if (text !== undefined) {
    element.textContent = text;
  }
  return element;
}

/**
 * Draws a bar chart of the minutes into an inline SVG (no library): one bar per minute, stacked by the given series,
 * the tallest bar's count on the axis, each bar's minute and counts in its tooltip.
 */
function drawChart(chart, overview, series) {
  const width = 600, height = 130, top = 14, bottom = 16, left = 4;
  const since = Date.parse(overview.since);
  const minutes = overview.minutes.succeeded.map((_, i) => ({
    start: since + (i * 60000), ...Object.fromEntries(series.map(([name]) => [name, overview.minutes[name][i]])),
  }));
  const totals = minutes.map(minute => series.reduce((sum, [name]) => sum + minute[name], 0));
  const max = Math.max(1, ...totals);
  const step = (width - left) / minutes.length;
  const scale = (height - top - bottom) / max;
  const parts = [
    svg('line', { x1: left, x2: width, y1: height - bottom, y2: height - bottom, class: 'axis' }),
    svg('text', { x: left, y: 10, class: 'label' }, `${numberFormat.format(max)} / min`),
    svg('text', { x: left, y: height - 3, class: 'label' }, timeFormat.format(new Date(minutes[0].start))),
    svg('text', { x: width - 2, y: height - 3, class: 'label', 'text-anchor': 'end' }, 'now'),
  ];
  minutes.forEach((minute, i) => {
    let y = height - bottom;
    const bar = svg('g', {});
    for (const [name, className] of series) {
      const count = minute[name];
      if (count > 0) {
        const h = Math.max(1, count * scale);
        y -= h;
        bar.append(svg('rect', { x: (left + (i * step) + 1).toFixed(1), y: y.toFixed(1), width: Math.max(1, step - 2).toFixed(1), height: h.toFixed(1), class: className }));
      }
    }
    bar.append(svg('title', {}, `${timeFormat.format(new Date(minute.start))}: ${series.map(([name]) => `${numberFormat.format(minute[name])} ${name}`).join(', ')}`));
    parts.push(bar);
  });
  chart.replaceChildren(...parts);
  const total = totals.reduce((sum, count) => sum + count, 0);
  chart.dataset.total = String(total);
  chart.setAttribute('aria-label', `${numberFormat.format(total)} in the last hour; at most ${numberFormat.format(Math.max(...totals))} in a minute`);
}

async function loadOverview() {
  const overview = await getOverview();
  const atLeast = new Set(overview.statusesAtLeast);
  $('status-counts').replaceChildren(...statuses.map(status => {
    const tile = document.createElement('div');
    tile.className = `tile status-${status.toLowerCase()}`;
    tile.innerHTML = '<span class="count"></span><span class="label"></span>';
    tile.firstChild.textContent = numberFormat.format(overview.statuses[status] ?? 0) + (atLeast.has(status) || (finished.has(status) && overview.finishedAtLeast) ? '+' : '');
    tile.firstChild.dataset.testid = `count-${status}`;
    tile.lastChild.textContent = finished.has(status) ? `${status}, last hour` : status;
    return tile;
  }));
  const queue = `${numberFormat.format(overview.queued)}${overview.queuedAtLeast ? '+' : ''}`;
  $('overview-note').innerHTML = 'Queue length: <strong id="queue-length"></strong>. <span></span>';
  $('queue-length').textContent = queue;
  $('overview-note').lastChild.textContent = 'The jobs you can see: scheduled, queued and running now; finished in the last hour.';
  drawChart($('chart-throughput'), overview, [['succeeded', 'bar-succeeded'], ['canceled', 'bar-canceled'], ['failed', 'bar-failed']]);
  drawChart($('chart-failures'), overview, [['failed', 'bar-failed']]);
  $('node-rows').replaceChildren(...overview.nodes.map(node => {
    const row = cells('tr', 'td', [
      [node.name], [numberFormat.format(node.runningJobs)], [formatTime(node.startedAt)], [formatTime(node.lastHeartbeatAt)],
    ]);
    row.dataset.testid = 'node-row';
    row.dataset.node = node.name;
    return row;
  }));
  const paused = new Map(overview.pausedKinds.map(pause => [pause.name, pause]));
  const counted = new Map(overview.kinds.map(kind => [kind.kind, kind]));
  const names = [...new Set([...counted.keys(), ...overview.registeredKinds])].sort();
  $('kind-counts').replaceChildren(...names.map(name => {
    const kind = counted.get(name) ?? { kind: name, total: 0, statuses: {} };
    const row = document.createElement('tr');
    row.dataset.testid = 'kind-row';
    row.dataset.kind = kind.kind;
    const cells = [kind.kind, kind.total, ...statuses.map(status => kind.statuses[status] ?? 0)];
    row.innerHTML = cells.map((_, i) => (i === 0 ? '<th scope="row"></th>' : '<td></td>')).join('') + '<td class="claims"></td>';
    cells.forEach((value, i) => { row.children[i].textContent = typeof value === 'number' ? numberFormat.format(value) : value; });
    row.lastChild.append(kindClaims(name, paused.get(name), overview.registeredKinds.includes(name)));
    return row;
  }));
  $('schedules').hidden = overview.schedules.length === 0;
  $('schedule-rows').replaceChildren(...overview.schedules.map(scheduleRow));
  const kindFilter = $('filter-kind');
  const known = new Set([...kindFilter.options].map(option => option.value));
  for (const name of overview.kindNames.filter(name => !known.has(name))) {
    kindFilter.add(new Option(name, name));
  }
}

/** The claims cell of a kind: paused or not, and for operators the button that changes it. */
function kindClaims(name, pause, registered) {
  const cell = document.createDocumentFragment();
  const label = cell.appendChild(document.createElement('span'));
  label.dataset.testid = 'kind-paused';
  label.className = pause ? 'paused' : '';
  label.textContent = pause ? 'Paused' : registered ? 'Active' : '—';
  label.title = pause ? `Paused since ${formatTime(pause.pausedAt)}: its queued jobs wait` : '';
  if (canOperate && registered) {
    const button = cell.appendChild(document.createElement('button'));
    button.type = 'button';
    button.dataset.testid = pause ? 'kind-resume' : 'kind-pause';
    button.textContent = pause ? 'Resume' : 'Pause';
    button.setAttribute('aria-label', `${button.textContent} ${name} jobs`);
    button.addEventListener('click', async () => {
      if (await perform(button, () => pauseKind(name, !pause))) {
        loadOverview().catch(showProblem);
      }
    });
  }
  return cell;
}

/** A recurring schedule's row: when it runs, and for operators the button that pauses or resumes it. */
function scheduleRow(schedule) {
  const row = cells('tr', 'td', [
    [schedule.name], [schedule.kind], [`${schedule.cron} (${schedule.timeZone})`],
    [formatTime(schedule.nextRunAt)], [formatTime(schedule.lastRunAt)], [schedule.paused ? 'Paused' : 'Active', schedule.paused ? 'paused' : ''],
  ]);
  row.dataset.testid = 'schedule-row';
  row.dataset.schedule = schedule.name;
  const state = row.lastChild;
  state.dataset.testid = 'schedule-state';
  state.title = schedule.paused ? `Paused since ${formatTime(schedule.pausedAt)}: none of its occurrences starts` : '';
  if (canOperate) {
    const button = row.appendChild(document.createElement('td')).appendChild(document.createElement('button'));
    button.type = 'button';
    button.dataset.testid = schedule.paused ? 'schedule-resume' : 'schedule-pause';
    button.textContent = schedule.paused ? 'Resume' : 'Pause';
    button.setAttribute('aria-label', `${button.textContent} the schedule ${schedule.name}`);
    button.addEventListener('click', async () => {
      if (await perform(button, () => pauseSchedule(schedule.name, !schedule.paused))) {
        loadOverview().catch(showProblem);
      }
    });
  }
  return row;
}

/** Retries a job from its button; on success tells where the retry is, and opens it when asked. */
async function retry(id, button, open) {
  const state = await perform(button, () => retryJob(id));
  if (state) {
    const notice = $('notice');
    notice.replaceChildren('Retried as ', Object.assign(document.createElement('a'), { href: `#job/${state.id}`, textContent: `job ${state.id}` }), '.');
    notice.hidden = false;
    if (open) {
      location.hash = `#job/${state.id}`;
    }
  }
  return state;
}

function renderRow(state) {
  let row = list.rows.get(state.id);
  if (row && !supersedes(state, row.state)) {
    return row;
  }
  if (!row) {
    row = document.createElement('tr');
    row.dataset.testid = 'job-row';
    row.dataset.jobId = state.id;
    row.innerHTML = '<td><a class="id"></a></td><td data-testid="job-kind"></td><td><span data-testid="job-status"></span></td>'
      + '<td><progress max="100" data-testid="job-progress"></progress> <span class="message" data-testid="job-progress-message"></span></td>'
      + '<td data-testid="job-created"></td><td><button type="button" data-testid="job-cancel" hidden>Cancel</button>'
      + '<button type="button" data-testid="job-retry" hidden>Retry</button></td>';
    const link = row.querySelector('a');
    link.href = `#job/${state.id}`;
    link.textContent = state.id.slice(-12);
    link.title = state.id;
    link.setAttribute('aria-label', `Job ${state.id}`);
    const button = testId(row, 'job-cancel');
    button.setAttribute('aria-label', `Cancel job ${state.id}`);
    button.addEventListener('click', async () => {
      const canceled = await cancel(state.id, button);
      if (canceled) {
        renderRow(canceled);
      }
    });
    const again = testId(row, 'job-retry');
    again.setAttribute('aria-label', `Retry job ${state.id}`);
    again.addEventListener('click', () => retry(state.id, again, false));
    list.rows.set(state.id, row);
  }
  row.state = state;
  row.dataset.kind = state.kind;
  testId(row, 'job-kind').textContent = state.kind;
  setStatus(testId(row, 'job-status'), state);
  const bar = testId(row, 'job-progress');
  setProgress(bar, state);
  bar.setAttribute('aria-label', `Progress of job ${state.id}`);
  testId(row, 'job-progress-message').textContent = state.error ? state.error.title ?? '' : state.progressMessage ?? '';
  testId(row, 'job-created').textContent = formatTime(state.createdAt);
  testId(row, 'job-cancel').hidden = !canOperate || isFinished(state);
  testId(row, 'job-retry').hidden = !canRetry(state);
  return row;
}

async function loadList() {
  const query = filters();
  const token = list.tokens[list.page];
  if (token) {
    query.set('pageToken', token);
  }
  const page = await request(`${api}?${query}`);
  // An event that came while this page was read is newer than the page: keep the newest state known of each job.
  const shown = list.rows;
  list.rows = new Map();
  const newest = state => {
    const known = shown.get(state.id)?.state;
    return known && !supersedes(state, known) ? known : state;
  };
  $('job-rows').replaceChildren(...page.items.map(state => renderRow(newest(state))));
  $('no-jobs').hidden = page.items.length > 0;
  list.tokens[list.page + 1] = page.nextPageToken ?? null;
  $('older').disabled = !page.nextPageToken;
  $('newer').disabled = list.page === 0;
  $('page-number').textContent = `Page ${list.page + 1}`;
}

const refreshOverview = throttle(() => loadOverview().catch(showProblem), overviewDelay);
const refreshList = throttle(() => loadList().catch(showProblem), listDelay);

function onListState(state) {
  if (list.rows.has(state.id)) {
    renderRow(state);
  } else if (list.page === 0) {
    refreshList(); // a new job, which may belong on the first page
  }
  refreshOverview();
}

/** Marks, once, when the page first showed its counts and jobs with its controls wired: its time to interactive. */
function markInteractive() {
  if (performance.getEntriesByName('dashboard-interactive').length === 0) {
    performance.mark('dashboard-interactive');
  }
}

function showOverview() {
  const query = filters();
  const kind = query.get('kind');
  const stop = follow(kind ? `${api}/events?kind=${encodeURIComponent(kind)}` : `${api}/events`, onListState, () => {
    loadList().catch(showProblem);
    loadOverview().catch(showProblem);
  });
  Promise.all([loadOverview(), loadList()]).then(markInteractive).catch(showProblem);
  return stop;
}

// ---- One job's detail --------------------------------------------------------------------------------------------

function renderDetail(state) {
  const view = $('detail-view');
  $('detail-title').textContent = `Job ${state.id}`;
  testId(view, 'detail-kind').textContent = state.kind;
  setStatus(testId(view, 'detail-status'), state);
  setProgress(testId(view, 'detail-progress'), state);
  testId(view, 'detail-progress-message').textContent = state.progressMessage ?? '';
  testId(view, 'detail-attempt').textContent = `${state.attempt} of ${state.maxAttempts}`;
  testId(view, 'detail-created').textContent = formatTime(state.createdAt);
  testId(view, 'detail-not-before').textContent = formatTime(state.notBefore);
  testId(view, 'detail-started').textContent = formatTime(state.startedAt);
  testId(view, 'detail-completed').textContent = formatTime(state.completedAt);
  $('detail-cancel').hidden = !canOperate || isFinished(state);
  $('detail-retry').hidden = !canRetry(state);
  const retryOf = testId(view, 'detail-retry-of');
  if (state.retryOf) {
    retryOf.replaceChildren(Object.assign(document.createElement('a'), { href: `#job/${state.retryOf}`, textContent: state.retryOf }));
  } else {
    retryOf.textContent = '—';
  }
  const outcome = $('detail-outcome');
  outcome.hidden = !isFinished(state);
  const problem = state.error;
  $('detail-outcome-title').textContent = problem ? 'Problem' : 'Result';
  testId(outcome, 'detail-result').textContent = problem
    ? JSON.stringify(problem, null, 2)
    : state.result === undefined || state.result === null ? '(none)' : JSON.stringify(state.result, null, 2);
  const deliveries = state.deliveries ?? [];
  $('detail-deliveries').hidden = deliveries.length === 0;
  testId($('detail-deliveries'), 'detail-deliveries').replaceChildren(...deliveries.map(delivery => cells('tr', 'td', [
    [delivery.channel], [delivery.status], [numberFormat.format(delivery.attempts)],
    [formatTime(delivery.lastAttemptAt)], [formatTime(delivery.nextAttemptAt)], [delivery.lastError ?? ''],
  ])));
}

/** Builds a row of cells (or list item of spans) with the given texts and class names, as text: never as HTML. */
function cells(tag, cell, values) {
  const row = document.createElement(tag);
  for (const [text, className] of values) {
    const element = row.appendChild(document.createElement(cell));
    element.textContent = text;
    if (className) {
      element.className = className;
    }
  }
  return row;
}

function renderHistory(history) {
  const view = $('detail-view');
  const attempts = testId(view, 'detail-attempts');
  attempts.replaceChildren(...history.attempts.map(attempt => {
    const row = cells('tr', 'td', [
      [String(attempt.number)],
      [formatTime(attempt.startedAt)],
      [attempt.endedAt ? formatTime(attempt.endedAt) : 'running'],
      [attempt.node ?? '—'],
      [attempt.outcome ?? 'Running', `outcome outcome-${(attempt.outcome ?? 'running').toLowerCase()}`],
      [attempt.error ? [attempt.error.title, attempt.error.detail].filter(Boolean).join(' ') : '', 'error'],
    ]);
    row.dataset.testid = 'detail-attempt-row';
    return row;
  }));
  testId(view, 'detail-no-attempts').hidden = history.attempts.length > 0;
  const log = testId(view, 'detail-log');
  log.replaceChildren(...history.log.map(line => {
    const item = cells('li', 'span', [
      [formatTime(line.time), 'time'],
      [line.level, `level level-${line.level.toLowerCase()}`],
      [`#${line.attempt}`, 'attempt'],
      [line.message, 'message'],
    ]);
    item.dataset.testid = 'detail-log-line';
    return item;
  }));
  log.hidden = history.log.length === 0;
  testId(view, 'detail-no-log').hidden = history.log.length > 0;
  const removed = testId(view, 'detail-log-removed');
  removed.hidden = history.removedLogLines === 0;
  removed.textContent = `${numberFormat.format(history.removedLogLines)} earlier lines were removed: the last lines are kept.`;
}

function showDetail(id) {
  let current = null;
  // Log lines change no job state (no event): the history is read after each change, and every few seconds while the
  // job runs; once it has finished, after the change that says so (its lines are stored before its outcome).
  let stopped = false;
  const loadHistory = () => getHistory(id).then(history => stopped || renderHistory(history)).catch(showProblem);
  const historySoon = throttle(loadHistory, listDelay);
  const historyTimer = setInterval(() => {
    if (current && !isFinished(current)) {
      loadHistory();
    }
  }, pollInterval);
  const apply = state => {
    if (state.id === id && supersedes(state, current)) {
      current = state;
      renderDetail(state);
      historySoon();
    }
  };
  let gone = false;
  const load = () => getJob(id).then(apply).catch(error => {
    gone = error.status === 404; // no such job for this caller: stop asking
    showProblem(error);
  });
  $('detail-title').textContent = `Job ${id}`;
  renderHistory({ attempts: [], log: [], removedLogLines: 0 });
  $('detail-outcome').hidden = true;
  $('detail-cancel').hidden = true;
  $('detail-retry').hidden = true;
  const again = $('detail-retry');
  again.disabled = false;
  again.onclick = () => retry(id, again, true);
  const button = $('detail-cancel');
  button.onclick = async () => {
    const state = await cancel(id, button);
    if (state) {
      apply(state);
    }
    button.disabled = false;
  };
  getRequest(id)
    .then(body => { testId($('detail-view'), 'detail-request').textContent = body.request === null || body.request === undefined ? '(none: an ad-hoc job)' : JSON.stringify(body.request, null, 2); })
    .catch(showProblem);
  load();
  const stop = follow(`${api}/${encodeURIComponent(id)}/events`, apply, () => {
    if (!gone && (!current || !isFinished(current))) {
      load();
    }
  });
  return () => {
    stopped = true;
    stop();
    clearInterval(historyTimer);
  };
}

// ---- Views -------------------------------------------------------------------------------------------------------

let stopView = () => {};

function route() {
  stopView();
  showProblem(null);
  $('notice').hidden = true;
  const match = /^#job\/([0-9a-fA-F-]{32,36})$/.exec(location.hash);
  $('overview-view').hidden = Boolean(match);
  $('detail-view').hidden = !match;
  stopView = match ? showDetail(match[1]) : showOverview();
}

$('filter-owner-label').hidden = config.administrator !== 'true';
$('filters').addEventListener('submit', event => event.preventDefault());
$('filters').addEventListener('change', () => {
  list.tokens = [null];
  list.page = 0;
  route();
});
$('older').addEventListener('click', () => {
  list.page++;
  loadList().catch(showProblem);
});
$('newer').addEventListener('click', () => {
  list.page = Math.max(0, list.page - 1);
  loadList().catch(showProblem);
});
$('search').addEventListener('submit', event => {
  event.preventDefault();
  location.hash = `#job/${$('search-id').value.trim()}`;
});
window.addEventListener('hashchange', route);
route();
