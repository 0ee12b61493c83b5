// The live job page: starts jobs through the LongJobs REST API and follows every job on the server. It listens to
// server-sent events (GET api/jobs/events) and polls the API instead while the server does not offer them.
// URLs are relative, so the page also works when the app runs under a path base.

const pollInterval = 1000;
const eventErrorsBeforePolling = 3;
const eventRetryDelay = 30_000;
const elapsedTick = 200;
const finishedStatuses = new Set(['Succeeded', 'Failed', 'Canceled']);
const numberFormat = new Intl.NumberFormat();

/** How a finished job's result reads, by kind; other kinds show their result as JSON. */
const resultFormats = {
  sleep: result => `Slept ${result.sleptSeconds} s`,
  primes: result => `${numberFormat.format(result.count)} primes below ${numberFormat.format(result.below)}; `
    + `the largest is ${numberFormat.format(result.largest)}`,
};

/** The jobs shown, by ID: { state, live, cancelSent, row }. */
const jobs = new Map();

const body = document.getElementById('jobs-body');
const rowTemplate = document.getElementById('job-row');
const noJobs = document.getElementById('no-jobs');
const connection = document.getElementById('connection');
const announcer = document.getElementById('announcer');

const isFinished = state => finishedStatuses.has(state.status);
const shortId = id => id.slice(-8); // the IDs are time-ordered: their first digits are alike, their last ones differ

// ---- Keeping the newest state of each job -------------------------------------------------------------------------

/**
 * Shows a job's state unless a newer one is shown. Events and polls ("live" states) arrive in order. A snapshot
 * (a list item, or the answer to a start or cancel request) may be older than an event already applied, so it does
 * not replace a live state of the same attempt. A finished state is final: only the result, which list items leave
 * out, is added to it later.
 */
function merge(state, live) {
  const known = jobs.get(state.id);
  if (known && !isNewer(state, live, known)) {
    return;
  }

  const entry = known ?? { cancelSent: false, row: null };
  const finishesNow = known !== undefined && !isFinished(known.state) && isFinished(state);
  entry.state = state;
  entry.live = live;
  jobs.set(state.id, entry);
  render(entry);
  if (finishesNow) {
    announcer.textContent = `Job ${shortId(state.id)} (${state.kind}): ${state.status}.`;
  }
}

function isNewer(state, live, known) {
  const current = known.state;
  if (isFinished(current)) {
    return isFinished(state) && !('result' in current) && 'result' in state;
  }

  if (isFinished(state)) {
    return true;
  }

  if (state.attempt !== current.attempt) {
    return state.attempt > current.attempt;
  }

  return live || !known.live;
}

function forget(id) {
  const entry = jobs.get(id);
  if (entry) {
    entry.row?.remove();
    jobs.delete(id);
    noJobs.hidden = jobs.size > 0;
  }
}

// ---- Rendering ----------------------------------------------------------------------------------------------------

function render(entry) {
  const { state } = entry;
  const row = entry.row ?? createRow(entry);
  const finished = isFinished(state);

  row.dataset.status = state.status;
  const badge = row.querySelector('[data-testid=job-status]');
  badge.textContent = state.status;
  badge.className = `badge status-${state.status.toLowerCase()}`;

  const percent = Math.round(Math.min(Math.max(state.progress ?? 0, 0), 1) * 100);
  const bar = row.querySelector('[data-testid=job-progress]');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.setAttribute('aria-valuetext', `${percent}%`);
  bar.firstElementChild.style.width = `${percent}%`;
  row.querySelector('[data-testid=job-progress-message]').textContent = progressMessage(state);

  renderElapsed(entry);
  renderOutcome(row.querySelector('[data-testid=job-outcome]'), state);

  const cancel = row.querySelector('[data-testid=job-cancel]');
  const cancelling = !finished && (state.cancellationRequested || entry.cancelSent);
  cancel.hidden = finished;
  cancel.disabled = cancelling;
  cancel.textContent = cancelling ? 'Cancelling…' : 'Cancel';
  cancel.setAttribute('aria-label', `${cancelling ? 'Cancelling' : 'Cancel'} job ${shortId(state.id)}`);
}

function createRow(entry) {
  const { state } = entry;
  const row = rowTemplate.content.firstElementChild.cloneNode(true);
  const id = shortId(state.id);
  row.dataset.jobId = state.id;
  row.dataset.kind = state.kind;
  row.dataset.created = String(Date.parse(state.createdAt));

  const idCell = row.querySelector('[data-testid=job-id]');
  idCell.textContent = id;
  idCell.title = state.id;
  row.querySelector('[data-testid=job-kind]').textContent = state.kind;
  row.querySelector('[data-testid=job-progress]').setAttribute('aria-label', `Progress of job ${id}`);
  row.querySelector('[data-testid=job-cancel]').addEventListener('click', () => cancelJob(entry));

  // Newest first, as the API lists them.
  const created = Number(row.dataset.created);
  const next = [...body.querySelectorAll('tr[data-job-id]')].find(other =>
    Number(other.dataset.created) < created
    || (Number(other.dataset.created) === created && other.dataset.jobId < state.id));
  body.insertBefore(row, next ?? null);
  noJobs.hidden = true;
  entry.row = row;
  return row;
}

function progressMessage(state) {
  const attempt = state.attempt > 1 ? `Attempt ${state.attempt} of ${state.maxAttempts}` : '';
  const message = state.progressMessage ?? (state.status === 'Queued' ? 'Waiting for a free slot' : '');
  return [attempt, message].filter(Boolean).join(' · ');
}

function renderElapsed(entry) {
  const { state } = entry;
  const cell = entry.row.querySelector('[data-testid=job-elapsed]');
  if (!state.startedAt) {
    cell.textContent = '–';
    return;
  }

  const end = state.completedAt ? Date.parse(state.completedAt) : Date.now();
  cell.textContent = formatDuration(Math.max(0, end - Date.parse(state.startedAt)));
}

function formatDuration(milliseconds) {
  const seconds = milliseconds / 1000;
  if (seconds < 60) {
    return `${seconds.toFixed(1)} s`;
  }

  const whole = Math.floor(seconds);
  return whole < 3600
    ? `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, '0')} s`
    : `${Math.floor(whole / 3600)} h ${String(Math.floor(whole / 60) % 60).padStart(2, '0')} min`;
}

function renderOutcome(cell, state) {
  cell.replaceChildren();
  cell.className = 'outcome';
  if (state.error) {
    cell.classList.add('error');
    const title = document.createElement('strong');
    title.textContent = state.error.title ?? 'The job failed.';
    cell.append(title);
    if (state.error.detail) {
      const detail = document.createElement('span');
      detail.className = 'detail';
      detail.textContent = state.error.detail;
      cell.append(detail);
    }
  } else if (state.status === 'Succeeded') {
    if ('result' in state) {
      cell.textContent = formatResult(state.kind, state.result);
    } else {
      cell.classList.add('muted');
      cell.textContent = 'Loading the result…';
    }
  } else if (state.status === 'Canceled') {
    cell.classList.add('muted');
    cell.textContent = 'Stopped before it finished.';
  } else if (state.cancellationRequested) {
    cell.classList.add('muted');
    cell.textContent = 'Cancellation requested.';
  }
}

function formatResult(kind, result) {
  if (result === null || result === undefined) {
    return 'Done.';
  }

  const format = resultFormats[kind];
  try {
    return format ? format(result) : JSON.stringify(result);
  } catch {
    return JSON.stringify(result);
  }
}

setInterval(() => {
  for (const entry of jobs.values()) {
    if (entry.state.status === 'Running') {
      renderElapsed(entry);
    }
  }
}, elapsedTick);

// ---- Talking to the API -------------------------------------------------------------------------------------------

async function send(method, url, json) {
  const init = { method, headers: { Accept: 'application/json' } };
  if (json !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(json);
  }

  return fetch(url, init);
}

/** Reads an RFC 9457 problem from a failed response; a response without one gets a title from its status. */
async function readProblem(response) {
  let problem = {};
  if ((response.headers.get('Content-Type') ?? '').includes('json')) {
    try {
      problem = await response.json();
    } catch {
      // Not JSON after all: the status code speaks for itself.
    }
  }

  return {
    status: response.status,
    title: problem.title ?? `${response.status} ${response.statusText}`.trim(),
    detail: problem.detail,
    errors: problem.errors,
    retryAfter: response.headers.get('Retry-After'),
  };
}

/** A problem for an exception: fetch() throws a TypeError when the server cannot be reached. */
function problemOf(error) {
  return error instanceof TypeError
    ? { title: 'The server cannot be reached.', detail: error.message }
    : { title: error.message };
}

async function getJson(url) {
  const response = await send('GET', url);
  if (!response.ok) {
    const problem = await readProblem(response);
    throw new Error(`${problem.title} ${problem.detail ?? ''}`.trim());
  }

  return response.json();
}

/** Fetches one job's full state, result included; a job the server no longer has leaves the table. */
async function fetchJob(id) {
  const response = await send('GET', `api/jobs/${encodeURIComponent(id)}`);
  if (response.status === 404) {
    forget(id);
    return;
  }

  if (!response.ok) {
    throw new Error(`Job ${shortId(id)}: ${(await readProblem(response)).title}`);
  }

  merge(await response.json(), true);
}

/**
 * Lists the newest jobs and fetches the results that list items leave out. When `live` (polling), it also
 * fetches the unfinished jobs shown that are no longer on the first page.
 */
async function refresh(live) {
  const list = await getJson('api/jobs?pageSize=50');
  const listed = new Set();
  for (const item of list.items) {
    listed.add(item.id);
    merge(item, live);
  }

  const stale = [...jobs.values()].filter(({ state }) =>
    (live && !isFinished(state) && !listed.has(state.id))
    || (state.status === 'Succeeded' && !('result' in state)));
  await Promise.all(stale.map(({ state }) => fetchJob(state.id)));
}

// ---- Live updates: server-sent events, or polling -----------------------------------------------------------------

let pollRound = 0;
let polling = false;

function setConnection(mode) {
  if (connection.dataset.mode === mode) {
    return; // unchanged: a status region announces every new text
  }

  const texts = {
    events: 'Live: server-sent events',
    polling: `Live: polling every ${pollInterval / 1000} s (no server-sent events)`,
    offline: 'The server cannot be reached; trying again…',
  };
  connection.dataset.mode = mode;
  connection.textContent = texts[mode];
}

/** Follows all jobs by server-sent events; after repeated errors, polls and tries the events again later. */
function listen() {
  if (!('EventSource' in window)) {
    startPolling();
    return;
  }

  const events = new EventSource('api/jobs/events');
  let errors = 0;
  events.addEventListener('open', () => {
    errors = 0;
    setConnection('events');
    if (polling) {
      // Changes made while neither polling nor listening: a new list catches the jobs that finished meanwhile.
      stopPolling();
      refresh(false).catch(error => showProblem(problemOf(error), 'The jobs could not be listed'));
    }
  });
  for (const type of ['status', 'progress', 'finished']) {
    events.addEventListener(type, event => {
      let state;
      try {
        state = JSON.parse(event.data);
      } catch {
        return; // not a job state: the next change of that job brings its state again
      }

      merge(state, true);
      if (state.status === 'Succeeded' && !('result' in state)) {
        fetchJob(state.id).catch(error => showProblem(problemOf(error), 'The result could not be loaded'));
      }
    });
  }
  events.addEventListener('error', () => {
    // The browser reconnects by itself (resuming with Last-Event-ID) unless the server refused the stream.
    errors += 1;
    if (events.readyState === EventSource.CLOSED || errors >= eventErrorsBeforePolling) {
      events.close();
      startPolling();
      setTimeout(listen, eventRetryDelay);
    }
  });
}

function startPolling() {
  if (polling) {
    return;
  }

  polling = true;
  setConnection('polling');
  poll(++pollRound);
}

function stopPolling() {
  polling = false;
  pollRound += 1;
}

async function poll(round) {
  while (round === pollRound) {
    try {
      await refresh(true);
      if (round === pollRound) {
        setConnection('polling');
      }
    } catch {
      if (round === pollRound) {
        setConnection('offline');
      }
    }

    await new Promise(resolve => setTimeout(resolve, pollInterval));
  }
}

// ---- Starting and cancelling jobs ---------------------------------------------------------------------------------

const problemBox = document.getElementById('problem');

function showProblem(problem, context) {
  document.getElementById('problem-title').textContent = context ? `${context}: ${problem.title}` : problem.title;
  const detail = [
    problem.detail,
    problem.status ? `(HTTP ${problem.status})` : '',
    problem.retryAfter ? `Try again in ${problem.retryAfter} s.` : '',
  ].filter(Boolean).join(' ');
  document.getElementById('problem-detail').textContent = detail;
  const list = document.getElementById('problem-errors');
  list.replaceChildren(...Object.entries(problem.errors ?? {}).flatMap(([field, messages]) =>
    messages.map(message => {
      const item = document.createElement('li');
      item.textContent = `${field}: ${message}`;
      return item;
    })));
  problemBox.hidden = false;
}

function hideProblem() {
  problemBox.hidden = true;
}

document.getElementById('problem-dismiss').addEventListener('click', hideProblem);

/** A number input's value; null when it is empty, so the server says what is missing. */
function readNumber(input) {
  return input.value.trim() === '' ? null : Number(input.value);
}

async function startJobs(kind, request, count, button) {
  hideProblem();
  button.disabled = true;
  try {
    for (let started = 0; started < count; started++) {
      const response = await send('POST', `api/jobs/${kind}`, request);
      if (!response.ok) {
        showProblem(await readProblem(response), `The ${kind} job was not started`);
        return;
      }

      merge(await response.json(), false);
    }
  } catch (error) {
    showProblem(problemOf(error), `The ${kind} job was not started`);
  } finally {
    button.disabled = false;
  }
}

async function cancelJob(entry) {
  const id = entry.state.id;
  entry.cancelSent = true;
  render(entry);
  try {
    const response = await send('POST', `api/jobs/${encodeURIComponent(id)}/cancel`);
    if (response.ok) {
      merge(await response.json(), false);
      return;
    }

    if (response.status === 404) {
      forget(id);
      return;
    }

    entry.cancelSent = false;
    render(entry);
    showProblem(await readProblem(response), `Job ${shortId(id)} was not cancelled`);
  } catch (error) {
    entry.cancelSent = false;
    render(entry);
    showProblem(problemOf(error), `Job ${shortId(id)} was not cancelled`);
  }
}

document.getElementById('sleep-form').addEventListener('submit', event => {
  event.preventDefault();
  const count = readNumber(document.getElementById('sleep-count'));
  if (!Number.isInteger(count) || count < 1 || count > 20) {
    showProblem({ title: 'How many: enter a whole number from 1 to 20.' });
    return;
  }

  const button = event.submitter ?? document.getElementById('start-sleep');
  startJobs(button.value, { seconds: readNumber(document.getElementById('sleep-seconds')) }, count, button);
});

document.getElementById('primes-form').addEventListener('submit', event => {
  event.preventDefault();
  startJobs('primes', { below: readNumber(document.getElementById('primes-below')) }, 1, document.getElementById('start-primes'));
});

// ---- Start --------------------------------------------------------------------------------------------------------

// Subscribe first, then list: a change made in between arrives as an event, and merge() keeps the newer state.
listen();
refresh(false).catch(error => showProblem(problemOf(error), 'The jobs could not be listed'));
