import type { FromWorker, Replies, RequestType, ToWorker, WorkerRequest } from './protocol';

type Answer = Extract<FromWorker, { type: 'result' | 'error' }>;

interface Pending {
  type: RequestType;
  resolve(value: Replies[RequestType]): void;
  reject(error: Error): void;
}

/**
 * The page's side of the request scheme: each request gets an id and a promise, settled by the worker's one answer
 * under that id, or rejected when the worker dies or is replaced (`close`); after that every request is refused.
 */
export class WorkerRequests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private closedReason: string | null = null;

  constructor(private readonly send: (message: ToWorker) => void) {}

  request<K extends RequestType>(request: Extract<WorkerRequest, { type: K }>): Promise<Replies[K]> {
    if (this.closedReason !== null) return Promise.reject(new Error(this.closedReason));
    const id = this.nextId++;
    return new Promise<Replies[K]>((resolve, reject) => {
      // The worker answers a request with a reply of the request's own type (checked in `answer`).
      this.pending.set(id, { type: request.type, resolve: resolve as (value: Replies[RequestType]) => void, reject });
      this.send({ ...request, id });
    });
  }

  /** Settles the request an answer is for; an answer for no open request (one already rejected) is ignored. */
  answer(message: Answer): void {
    const request = this.pending.get(message.id);
    if (request === undefined) return;
    this.pending.delete(message.id);
    if (message.type === 'error') request.reject(new Error(message.message));
    else if (message.reply.type !== request.type) request.reject(new Error(`A ${request.type} request was answered as ${message.reply.type}.`));
    else request.resolve(message.reply.value);
  }

  /** Rejects every open request with the reason, and every later one: the worker that would answer is gone. */
  close(reason: string): void {
    this.closedReason = reason;
    const open = [...this.pending.values()];
    this.pending.clear();
    for (const request of open) request.reject(new Error(reason));
  }

  get closed(): boolean {
    return this.closedReason !== null;
  }

  get openCount(): number {
    return this.pending.size;
  }
}
