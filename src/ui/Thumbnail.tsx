import { useEffect, useRef } from 'react';

interface Props {
  /** side × side × channels values, 0–255 (1 channel: grey; 3: RGB). */
  pixels: number[];
  side: number;
  channels: number;
  /** Shown size in CSS pixels. */
  size: number;
  label: string;
}

/** A small image drawn pixel for pixel (scaled up by CSS, without smoothing). */
export function Thumbnail({ pixels, side, channels, size, label }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(side, side);
    for (let i = 0; i < side * side; i++) {
      const [r, g, b] = channels === 3 ? pixels.slice(i * 3, i * 3 + 3) : [pixels[i], pixels[i], pixels[i]];
      image.data.set([r ?? 0, g ?? 0, b ?? 0, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }, [pixels, side, channels]);
  return <canvas ref={canvas} width={side} height={side} className="thumbnail" style={{ width: size, height: size }} role="img" aria-label={label} />;
}
