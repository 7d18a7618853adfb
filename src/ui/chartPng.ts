const SCALE = 2;
const TITLE_HEIGHT = 28;
const LEGEND_ROW = 20;
const FONT = '13px system-ui, sans-serif';

interface LegendEntry {
  label: string;
  color: string;
}

/** Recharts draws its legend as HTML beside the SVG, so a PNG of the SVG alone would lose it: read it back. */
function legendEntries(chart: HTMLElement): LegendEntry[] {
  return [...chart.querySelectorAll<HTMLElement>('.recharts-legend-item')].map((item) => {
    const icon = item.querySelector('svg path, svg line');
    const color = icon?.getAttribute('stroke') ?? icon?.getAttribute('fill') ?? '#333';
    return { label: item.textContent?.trim() ?? '', color: color === 'none' ? (icon?.getAttribute('fill') ?? '#333') : color };
  });
}

function loadImage(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => reject(new Error('The chart could not be drawn as an image.'));
    image.src = url;
  });
}

function toBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The browser could not encode the PNG.'))), 'image/png'),
  );
}

/** Draws a chart (its SVG, a title above, its legend below) on a white canvas at twice its size and downloads it. */
export async function downloadChartPng(chart: HTMLElement, title: string, fileName: string): Promise<void> {
  // The plot's own SVG: legend icons are small recharts-surface SVGs too.
  const svg = chart.querySelector<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface');
  if (svg === null) throw new Error('There is no chart to export yet.');
  const { width, height } = svg.getBoundingClientRect();
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  // A standalone SVG has no page stylesheet: give its text the page's font and a dark fill.
  copy.setAttribute('font-family', 'system-ui, sans-serif');
  copy.querySelectorAll('text').forEach((text) => text.getAttribute('fill') ?? text.setAttribute('fill', '#333'));
  const svgUrl = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(copy)], { type: 'image/svg+xml' }));
  try {
    const image = await loadImage(svgUrl);
    const legend = legendEntries(chart);
    const canvas = document.createElement('canvas');
    canvas.width = width * SCALE;
    canvas.height = (TITLE_HEIGHT + height + legend.length * LEGEND_ROW + 8) * SCALE;
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('This browser cannot draw on a canvas.');
    context.scale(SCALE, SCALE);
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, canvas.height / SCALE);
    context.fillStyle = '#1d2330';
    context.font = `600 15px system-ui, sans-serif`;
    context.fillText(title, 8, 19);
    context.drawImage(image, 0, TITLE_HEIGHT, width, height);
    context.font = FONT;
    legend.forEach(({ label, color }, i) => {
      const y = TITLE_HEIGHT + height + i * LEGEND_ROW + 12;
      context.strokeStyle = color;
      context.lineWidth = 3;
      context.beginPath();
      context.moveTo(16, y);
      context.lineTo(40, y);
      context.stroke();
      context.fillStyle = '#1d2330';
      context.fillText(label, 48, y + 4);
    });
    const pngUrl = URL.createObjectURL(await toBlob(canvas));
    const link = document.createElement('a');
    link.href = pngUrl;
    link.download = fileName;
    link.click();
    // The click starts the download synchronously enough; revoke on the next task so the browser has read it.
    setTimeout(() => URL.revokeObjectURL(pngUrl), 0);
  } finally {
    URL.revokeObjectURL(svgUrl);
  }
}
