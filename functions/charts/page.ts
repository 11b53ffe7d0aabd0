/**
 * The charts page's HTML. The structure is static so the page reads sensibly before (and
 * without) the script; the script fills in numbers, charts and tables by element id.
 */

export interface PageAssets {
  /** URLs of the bundle and stylesheet, relative to the page. */
  readonly script: string;
  readonly stylesheet: string;
}

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

function statCard(id: string, label: string, note = ''): string {
  return `
          <div class="stat">
            <dt>${label}</dt>
            <dd><span class="stat-value" id="${id}" data-testid="${id}">–</span><span class="stat-note" id="${id}-note">${note}</span></dd>
          </div>`;
}

function rankingSection(key: 'events' | 'channels', title: string, column: string, description: string): string {
  return `
      <section class="panel" aria-labelledby="${key}-title">
        <header class="panel-head">
          <h2 id="${key}-title">${title}</h2>
          <p class="panel-note">${description}</p>
        </header>
        <div class="chart ranking" id="${key}-chart" data-testid="${key}-chart" role="img" aria-label="${title}"></div>
        <p class="empty" id="${key}-empty" hidden>Nothing in this range.</p>
        <table class="ranking-table" data-testid="${key}-table">
          <caption class="visually-hidden">${title}, with counts and share of all events in the range</caption>
          <thead>
            <tr><th scope="col" class="rank"><span class="visually-hidden">Rank</span>#</th><th scope="col">${column}</th><th scope="col" class="num">Events</th><th scope="col" class="num">Share</th></tr>
          </thead>
          <tbody id="${key}-rows"></tbody>
          <tfoot>
            <tr><td></td><th scope="row">Total</th><td class="num" id="${key}-total" data-testid="${key}-total"></td><td></td></tr>
          </tfoot>
        </table>
        <button type="button" class="link-button" id="${key}-toggle" aria-controls="${key}-rows" aria-expanded="false" hidden></button>
      </section>`;
}

export function renderIndexHtml(assets: PageAssets): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <meta name="color-scheme" content="light dark">
    <title>Futel usage charts</title>
    <meta name="description" content="Daily events, busiest events and channels across Futel's phones.">
    <link rel="icon" href="data:,">
    <link rel="stylesheet" href="${escapeAttribute(assets.stylesheet)}">
    <script defer src="${escapeAttribute(assets.script)}"></script>
  </head>
  <body>
    <a class="skip-link" href="#main">Skip to the charts</a>
    <header class="masthead">
      <div class="wrap masthead-inner">
        <div>
          <p class="eyebrow"><a href="../">Futel usage</a></p>
          <h1>Usage charts</h1>
        </div>
        <p class="freshness" id="freshness" data-testid="freshness">
          Data updated <time id="last-updated" data-testid="last-updated">…</time> <span id="freshness-age"></span>
        </p>
      </div>
    </header>
    <main id="main" class="wrap" data-state="loading" aria-busy="true">
      <p class="status" id="status" data-testid="status" role="status">Loading usage data…</p>
      <div class="error" id="error" data-testid="error" role="alert" hidden>
        <h2>The usage data could not be loaded</h2>
        <p id="error-detail" data-testid="error-detail"></p>
        <p>Try reloading the page. If it keeps failing, the data may be being republished: try again in a few minutes.</p>
      </div>

      <div class="content">
        <section class="toolbar" aria-label="Date range">
          <div class="dates">
            <div class="field">
              <label for="from">From</label>
              <input type="date" id="from" data-testid="range-from" required>
            </div>
            <span class="dash" aria-hidden="true">–</span>
            <div class="field">
              <label for="to">To</label>
              <input type="date" id="to" data-testid="range-to" required>
            </div>
          </div>
          <div class="presets" id="presets" role="group" aria-label="Quick ranges"></div>
        </section>

        <section aria-labelledby="stats-title">
          <h2 id="stats-title" class="visually-hidden">Totals for <span id="range-label"></span></h2>
          <dl class="stats">${statCard('range-total', 'Events in range')}${statCard('range-days', 'Days')}${statCard('range-average', 'Average per day', 'on days with data')}${statCard('range-busiest', 'Busiest day')}${statCard('all-time-total', 'All time')}
          </dl>
        </section>

        <section class="panel" aria-labelledby="daily-title">
          <header class="panel-head">
            <h2 id="daily-title">Events per day</h2>
            <p class="panel-note">Every event recorded, by day (UTC). Point at a day for its count.</p>
          </header>
          <div class="chart" id="daily-chart" data-testid="daily-chart" role="img" aria-label="Events per day"></div>
          <details id="daily-details">
            <summary>Daily counts as a table</summary>
            <div class="scroll">
              <table data-testid="daily-table">
                <thead><tr><th scope="col">Day</th><th scope="col" class="num">Events</th></tr></thead>
                <tbody id="daily-rows"></tbody>
              </table>
            </div>
          </details>
        </section>

        <div class="columns">${rankingSection('events', 'Top events', 'Event', 'The most frequent events in the range.')}${rankingSection('channels', 'Channels', 'Channel', 'Events per channel (phone or line) in the range.')}
        </div>
      </div>
    </main>
    <footer class="wrap footer">
      <p>Built from the published summary files in <a href="../data/summary/index.json"><code>data/summary/</code></a>. Days are UTC.</p>
    </footer>
    <noscript><p class="wrap">This page needs JavaScript to draw its charts. The numbers are in <a href="../data/summary/index.json">data/summary/index.json</a>.</p></noscript>
  </body>
</html>
`;
}
