import type { WriteContext, Writer } from '../agents/index.js';

/** What PO1 tells a writer for one round: how far to widen, the archive to restart from, the move families' weights. */
export type Steering = Pick<WriteContext, 'widen' | 'archive' | 'familyWeights'>;

/** The writer, with this round's steering added to every context it is given (a decorator: round.ts needs no change). */
export function steered(writer: Writer, steering: Steering): Writer {
  return { name: writer.name, sessions: (ctx) => writer.sessions({ ...ctx, ...steering }) };
}
