import type { CustomRoute } from '@slack/bolt';
import type { Billing } from '../../billing';

/** GET /healthz: 200 only when the database answers within the time limit, else 503. */
export function healthRoute(billing: Pick<Billing, 'databaseAnswers'>, timeoutMs = 2000): CustomRoute {
  return {
    path: '/healthz',
    method: ['GET'],
    handler: async (_req, res) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          billing.databaseAnswers(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('database timeout')), timeoutMs);
          }),
        ]);
        res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('ok');
      } catch {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('database unavailable');
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
