/** GoogLeNet's stages, b1 and b2 the stem and b3–b5 the Inception stages: what fine-tuning freezes. */
export const STAGES = ['b1', 'b2', 'b3', 'b4', 'b5'] as const;
export type Stage = (typeof STAGES)[number];

/** How far fine-tuning moved the network's weights, measured after the run. */
export interface TransferCheck {
  /** Largest change of any weight in the frozen stages: 0 when freezing held. */
  frozenMaxChange: number;
  /** Largest change of any other weight taken from the source. */
  trainedMaxChange: number;
  /** Largest change of the new classifier from its initial weights. */
  headMaxChange: number;
}

/** Where a fine-tuned run started: a saved model, with its first stages frozen or not. */
export interface TransferRef {
  modelId: string;
  modelName: string;
  freezeThrough: Stage | null;
  /** The saved network's input channels (its first layer fixes them): the run's images are converted to them. */
  inputChannels: number;
  /** Measured after the run: how far the frozen, the other and the new classifier's weights moved. */
  check: TransferCheck | null;
}
