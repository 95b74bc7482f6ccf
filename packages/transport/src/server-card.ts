import { A2A_VERSION_HEADER, AgentCard } from '@a2a-js/sdk';
import { DefaultRequestHandler, type AgentExecutor } from '@a2a-js/sdk/server';
import { agentCardHandler } from '@a2a-js/sdk/server/express';
import type { SkillSchemas } from '@vigil/core';
import { Router, type NextFunction, type Request, type Response } from 'express';
import {
  AGENT_CARD_PATH,
  agentCardDocument,
  buildAgentCard,
  signAgentCard,
  type AgentCardDocument,
} from './card.js';
import { TRANSPORT_ERROR_CODES, TransportError } from './errors.js';
import type { TransportSystem } from './system.js';
import { BoundedTaskStore } from './task-store.js';
import type { TransportCredentials } from './tls.js';

/** The signed agent card of one server, re-signed when its URL is known or its credentials change. */
export interface CardPublisher {
  /** Signs the card for `baseUrl` with `credentials`; the new card is served once this resolves. */
  sign(baseUrl: string, credentials: TransportCredentials): Promise<void>;
  /** The served document (byte for byte what is sent); undefined before the first `sign`. */
  document(): AgentCardDocument | undefined;
  /** The SDK's form of the served card. @throws TransportError `…_CLOSED` before the first `sign`. */
  card(): Promise<AgentCard>;
  /**
   * The route of `/.well-known/agent-card.json`: the signed JSON as signed (A2A §8.2,
   * §8.4), 503 before it exists; with `legacy`, a request naming no A2A version (a 0.3
   * client, §3.6.2) gets the SDK's 0.3 card shape instead (unsigned: 0.3 signs differently).
   */
  router(legacy: boolean): Router;
  /**
   * The SDK request handler over `executor` whose `getAgentCard()` is this card, signed
   * once per credential set (the SDK's own signature generator signs on every call, and
   * the JSON-RPC transport asks on every request).
   */
  requestHandler(executor: AgentExecutor): DefaultRequestHandler;
}

/** Creates the card publisher of `agentName` (with its skills' schemas, if given). */
export function createCardPublisher(
  system: TransportSystem,
  agentName: string,
  skillSchemas: Readonly<Record<string, SkillSchemas>> | undefined,
): CardPublisher {
  const options = skillSchemas === undefined ? {} : { skillSchemas };
  // The served JSON and its SDK form, replaced together when the card is re-signed.
  let signed: { document: AgentCardDocument; body: string; card: AgentCard } | undefined;
  const card = async (): Promise<AgentCard> => {
    if (!signed)
      throw new TransportError(TRANSPORT_ERROR_CODES.CLOSED, 'the agent card is not ready');
    return signed.card;
  };
  return {
    async sign(baseUrl, credentials): Promise<void> {
      const unsigned = agentCardDocument(buildAgentCard(system, agentName, baseUrl, options));
      const document = await signAgentCard(unsigned, credentials);
      signed = { document, body: JSON.stringify(document), card: AgentCard.fromJSON(document) };
    },
    document: () => signed?.document,
    card,
    router(legacy: boolean): Router {
      const router = Router();
      router.get(AGENT_CARD_PATH, (req: Request, res: Response, next: NextFunction) => {
        if (legacy && /^0\./.test((req.header(A2A_VERSION_HEADER) ?? '0.3').trim())) {
          next();
          return;
        }
        if (!signed) {
          res
            .status(503)
            .json({ error: { code: TRANSPORT_ERROR_CODES.CLOSED, message: 'not ready' } });
          return;
        }
        res.setHeader('cache-control', 'no-cache');
        if (legacy) res.append('vary', A2A_VERSION_HEADER);
        res.type('application/json').send(signed.body);
      });
      if (legacy) {
        router.use(
          AGENT_CARD_PATH,
          agentCardHandler({ agentCardProvider: card, legacyCompat: { enabled: true } }),
        );
      }
      return router;
    },
    requestHandler(executor: AgentExecutor): DefaultRequestHandler {
      // The card's URL is only known after listen(); the handler keeps this copy for its
      // capability checks and serves the signed card through the override.
      return new SignedCardRequestHandler(
        buildAgentCard(system, agentName, 'https://127.0.0.1/'),
        new BoundedTaskStore(),
        executor,
        card,
      );
    },
  };
}

/** The SDK handler, serving the card signed once per credential set. */
class SignedCardRequestHandler extends DefaultRequestHandler {
  constructor(
    card: AgentCard,
    store: BoundedTaskStore,
    executor: AgentExecutor,
    private readonly signedCard: () => Promise<AgentCard>,
  ) {
    super(card, store, executor);
  }

  override getAgentCard(): Promise<AgentCard> {
    return this.signedCard();
  }
}
