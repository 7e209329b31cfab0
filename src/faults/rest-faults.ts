/**
 * Applies the board's REST faults to every front door, before any of their handlers run: a request
 * carrying one of an account's API keys (read with the front door's own header, error-shapes.ts)
 * is answered with the armed HTTP status and the front door's own error body. With `execute`, the
 * request runs first and only its answer is replaced: the client cannot tell whether it took
 * effect, as after a real exchange's timeout.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { frontDoorFor } from '../server/error-shapes.js';
import type { CredentialStore } from '../service/credentials.js';
import type { FaultBoard } from './board.js';

/** The answer that replaces an executed request's own (set by onRequest, used by onSend). */
const replacedAnswers = new WeakMap<FastifyRequest, { status: number; body: string }>();

export function mountRestFaults(app: FastifyInstance, board: FaultBoard, credentials: CredentialStore): void {
  app.addHook('onRequest', async (request, reply) => {
    if (board.restIdle) return;
    const door = frontDoorFor(app.server, request.url);
    const apiKey = door.apiKeyOf?.(request.headers);
    const credential = apiKey === undefined ? undefined : credentials.find(apiKey);
    if (credential === undefined) return;
    const fault = board.takeRest(credential.accountId);
    if (fault === null) return;
    const body = door.shape(fault.status, fault.message, fault.code);
    if (fault.execute) {
      replacedAnswers.set(request, { status: fault.status, body: JSON.stringify(body) });
      return;
    }
    return reply.code(fault.status).type('application/json').send(body);
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const replaced = replacedAnswers.get(request);
    if (replaced === undefined) return payload;
    replacedAnswers.delete(request);
    void reply.code(replaced.status).type('application/json');
    return replaced.body;
  });
}
