import { fetchSource } from '../data/fashionMnist';
import { setUpBackend } from './backend';
import { decodeImage } from './decodeImage';
import { indexedDbStores } from './handlers/stores';
import type { FromWorker, ToWorker } from './protocol';
import { createRouter } from './router';

/** The dedicated-worker global, typed without pulling the WebWorker lib into a DOM program. */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((event: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

const answer = createRouter((message) => scope.postMessage(message), {
  stores: indexedDbStores(),
  setUpBackend,
  dataSource: (dataBaseUrl) => fetchSource(dataBaseUrl),
  decode: decodeImage,
});

scope.onmessage = (event) => void answer(event.data);
