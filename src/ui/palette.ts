/** Series colours, in order: distinguishable from each other and on light and dark backgrounds. */
export const PALETTE = ['#1f6feb', '#d9480f', '#2b8a3e', '#ae3ec9', '#e67700', '#1098ad', '#e64980', '#5c940d'];
