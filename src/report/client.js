// Runs in the browser: draws the report's charts with Chart.js (a global from the inlined UMD build)
// from the coverage JSON embedded in the page. A chart is drawn only where the page has its canvas;
// the server leaves the canvas out when there is no data for it.
(() => {
  const data = JSON.parse(document.getElementById('coverage-data').textContent);
  const Chart = window.Chart;
  // No animation: the page is a static picture, and screenshots must show the final state.
  Chart.defaults.animation = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const GOOD = '#2e7d32';
  const BAD = '#c62828';
  const NEUTRAL = '#90a4ae';
  // Shades per status class, taken in order by the codes of that class present (429 has its own colour:
  // rate limiting is the thing to spot in an overnight run).
  const CLASS_SHADES = {
    2: [GOOD, '#81c784', '#1b5e20'],
    3: ['#1565c0', '#64b5f6', '#0d47a1'],
    4: ['#ef6c00', '#ffb74d', '#bf360c', '#ffe0b2'],
    5: [BAD, '#e57373', '#7f0000', '#ffcdd2'],
  };
  const shadesUsed = {};

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  // A function, not a shared object: Chart.js keeps a reference to the options it is given.
  const horizontalStack = () => ({
    indexAxis: 'y',
    scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
  });

  const years = data.years;
  draw('chart-years', {
    type: 'bar',
    data: {
      labels: years.map((y) => String(y.year)),
      datasets: [
        {
          label: 'Runner coverage %',
          data: years.map((y) => y.coveragePct),
          backgroundColor: years.map((y) => (y.belowTarget ? BAD : GOOD)),
          yAxisID: 'y',
        },
        {
          type: 'line',
          label: `Target ${data.coverageTargetPct}%`,
          data: years.map(() => data.coverageTargetPct),
          borderColor: BAD,
          borderDash: [6, 4],
          borderWidth: 1,
          pointRadius: 0,
          yAxisID: 'y',
        },
        {
          type: 'line',
          label: 'Average field size',
          data: years.map((y) => y.avgRunnersPerRace),
          borderColor: '#1565c0',
          backgroundColor: '#1565c0',
          yAxisID: 'field',
        },
      ],
    },
    options: {
      scales: {
        y: { min: 0, max: 100, title: { display: true, text: 'coverage %' } },
        field: {
          position: 'right',
          beginAtZero: true,
          grid: { drawOnChartArea: false },
          title: { display: true, text: 'runners per race' },
        },
      },
    },
  });

  const { enrichment, pedigree } = data;
  draw('chart-horses', {
    type: 'bar',
    data: {
      labels: ['Enriched', 'With pedigree'],
      datasets: [
        {
          label: 'Covered',
          data: [enrichment.enrichedHorses, pedigree.horsesWithPedigree],
          backgroundColor: GOOD,
        },
        {
          label: 'Not covered',
          data: [enrichment.notEnriched, pedigree.totalHorses - pedigree.horsesWithPedigree],
          backgroundColor: NEUTRAL,
        },
      ],
    },
    options: horizontalStack(),
  });

  draw('chart-entities', {
    type: 'bar',
    data: {
      labels: data.entities.map((e) => e.entityType),
      datasets: [{ label: 'Rows', data: data.entities.map((e) => e.totalCount), backgroundColor: '#1565c0' }],
    },
    options: { scales: { y: { type: 'logarithmic' } }, plugins: { legend: { display: false } } },
  });

  draw('chart-l1', {
    type: 'bar',
    data: {
      labels: data.l1Nulls.map((c) => c.columnName),
      datasets: [
        { label: 'Filled', data: data.l1Nulls.map((c) => c.totalRows - c.nullCount), backgroundColor: GOOD },
        { label: 'NULL, fillable', data: data.l1Nulls.map((c) => c.fillable), backgroundColor: '#ef6c00' },
        { label: 'NULL, expected', data: data.l1Nulls.map((c) => c.expected), backgroundColor: NEUTRAL },
      ],
    },
    options: horizontalStack(),
  });

  const requests = data.requests;
  // Minutes are UTC; the axis shows HH:MM, tooltips the full minute.
  draw('chart-requests', {
    type: 'bar',
    data: {
      labels: requests.minutes.map((m) => m.slice(11, 16)),
      datasets: requests.perMinute.map((series) => ({
        label: series.status === null ? 'no response' : String(series.status),
        data: series.counts,
        backgroundColor: statusColour(series.status),
        barPercentage: 1,
        categoryPercentage: 1,
      })),
    },
    options: {
      scales: {
        x: {
          stacked: true,
          ticks: { autoSkip: true, maxTicksLimit: 24, maxRotation: 0 },
          title: { display: true, text: 'minute (UTC)' },
        },
        y: { stacked: true, beginAtZero: true, title: { display: true, text: 'requests per minute' } },
      },
      plugins: {
        tooltip: {
          callbacks: {
            title: (items) => `${requests.minutes[items[0].dataIndex].slice(0, 16).replace('T', ' ')} UTC`,
          },
        },
      },
    },
  });

  draw('chart-backfill', {
    type: 'bar',
    data: {
      labels: data.backfill.map((b) => (b.source === b.unit ? b.source : `${b.source} (${b.unit})`)),
      datasets: [
        { label: 'Done', data: data.backfill.map((b) => b.done), backgroundColor: GOOD },
        { label: 'Failed', data: data.backfill.map((b) => b.failed), backgroundColor: BAD },
        { label: 'Pending', data: data.backfill.map((b) => b.pending), backgroundColor: NEUTRAL },
        { label: 'Not in plan', data: data.backfill.map((b) => b.notInPlan), backgroundColor: '#f9a825' },
      ],
    },
    options: horizontalStack(),
  });

  function statusColour(status) {
    if (status === null) return '#616161';
    if (status === 429) return '#8e24aa';
    const statusClass = Math.floor(status / 100);
    const shades = CLASS_SHADES[statusClass] ?? ['#795548'];
    const used = shadesUsed[statusClass] ?? 0;
    shadesUsed[statusClass] = used + 1;
    return shades[used % shades.length];
  }
})();
