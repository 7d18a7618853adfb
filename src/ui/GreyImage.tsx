import { useEffect, useRef } from 'react';

interface Props {
  /** side × side grey values, 0–255. */
  pixels: number[];
  side: number;
  /** Shown size in CSS pixels. */
  size: number;
  label: string;
}

/** A small grey image drawn pixel for pixel (scaled up by CSS, without smoothing). */
export function GreyImage({ pixels, side, size, label }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvas.current?.getContext('2d');
    if (!context) return;
    const image = context.createImageData(side, side);
    pixels.forEach((value, i) => {
      image.data.set([value, value, value, 255], i * 4);
    });
    context.putImageData(image, 0, 0);
  }, [pixels, side]);
  return <canvas ref={canvas} width={side} height={side} className="grey-image" style={{ width: size, height: size }} role="img" aria-label={label} />;
}
