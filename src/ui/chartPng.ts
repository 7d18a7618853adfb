/** Fixed rather than devicePixelRatio, so the same chart gives the same file on any screen. */
const SCALE = 2;
const TITLE_HEIGHT = 28;
const LEGEND_ROW = 20;
const LEGEND_PADDING = 8;
const INK = '#1d2330';
const FALLBACK_COLOR = '#333';

interface LegendEntry {
  label: string;
  color: string;
  /** Dash and gap lengths of a dashed series (a reference curve), empty for a solid one. */
  dash: number[];
}

/** Line icons carry their colour in stroke (fill="none"); shape icons in fill (stroke="none"). */
function iconColor(icon: Element | null): string {
  const paints = [icon?.getAttribute('stroke'), icon?.getAttribute('fill')];
  return paints.find((paint) => paint && paint !== 'none') ?? FALLBACK_COLOR;
}

/** A "plainline" legend icon carries its series' dashes; "10 5" → [10, 5]. */
function iconDash(icon: Element | null): number[] {
  const dash = (icon?.getAttribute('stroke-dasharray') ?? '').split(/[\s,]+/).map(Number);
  return dash.every((length) => Number.isFinite(length) && length > 0) ? dash : [];
}

/** Recharts draws its legend as HTML beside the SVG, so a PNG of the SVG alone would lose it: read it back. */
function legendEntries(chart: HTMLElement): LegendEntry[] {
  return [...chart.querySelectorAll('.recharts-legend-item')].map((item) => {
    const icon = item.querySelector('svg path, svg line');
    return { label: item.textContent?.trim() ?? '', color: iconColor(icon), dash: iconDash(icon) };
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

function toPngBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('The browser could not encode the chart as a PNG.'))), 'image/png'),
  );
}

/** A standalone copy of the plot's SVG: an <img> loads it without the page, so nothing may depend on page CSS. */
function standaloneSvg(svg: SVGSVGElement, width: number, height: number, fontFamily: string): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  copy.setAttribute('font-family', fontFamily);
  // Text without a fill attribute takes the page's colour, which in the dark theme is light on our white background.
  for (const text of copy.querySelectorAll('text:not([fill])')) text.setAttribute('fill', INK);
  return new XMLSerializer().serializeToString(copy);
}

function drawLegend(context: CanvasRenderingContext2D, legend: LegendEntry[], top: number): void {
  legend.forEach(({ label, color, dash }, i) => {
    const y = top + i * LEGEND_ROW + LEGEND_ROW / 2;
    context.strokeStyle = color;
    context.lineWidth = 3;
    context.setLineDash(dash);
    context.beginPath();
    context.moveTo(16, y);
    context.lineTo(40, y);
    context.stroke();
    context.fillStyle = INK;
    context.fillText(label, 48, y);
  });
}

function download(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  // Some browsers ignore clicks on links that are not in the document.
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking at once can cancel the download before the browser has read the blob.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** Downloads a recharts chart as a PNG: a title above, the plot at twice its size, its legend below, on white. */
export async function downloadChartPng(chart: HTMLElement, title: string, fileName: string): Promise<void> {
  // Legend icons are small recharts-surface SVGs too: the plot's is the wrapper's own child.
  const svg = chart.querySelector<SVGSVGElement>('.recharts-wrapper > svg.recharts-surface');
  if (svg === null) throw new Error('There is no chart to export yet.');
  const { width, height } = svg.getBoundingClientRect();
  const fontFamily = getComputedStyle(chart).fontFamily || 'system-ui, sans-serif';
  const svgUrl = URL.createObjectURL(
    new Blob([standaloneSvg(svg, width, height, fontFamily)], { type: 'image/svg+xml' }),
  );
  try {
    const image = await loadImage(svgUrl);
    const legend = legendEntries(chart);
    const fullHeight = TITLE_HEIGHT + height + legend.length * LEGEND_ROW + LEGEND_PADDING;
    const canvas = document.createElement('canvas');
    canvas.width = Math.ceil(width * SCALE);
    canvas.height = Math.ceil(fullHeight * SCALE);
    const context = canvas.getContext('2d');
    if (context === null) throw new Error('This browser cannot draw on a canvas.');
    context.scale(SCALE, SCALE);
    context.fillStyle = '#fff';
    context.fillRect(0, 0, width, fullHeight);
    context.fillStyle = INK;
    context.textBaseline = 'middle';
    context.font = `600 15px ${fontFamily}`;
    context.fillText(title, 8, TITLE_HEIGHT / 2);
    context.drawImage(image, 0, TITLE_HEIGHT, width, height);
    context.font = `13px ${fontFamily}`;
    drawLegend(context, legend, TITLE_HEIGHT + height);
    download(await toPngBlob(canvas), fileName);
  } finally {
    URL.revokeObjectURL(svgUrl);
  }
}
