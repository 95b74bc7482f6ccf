import { openAgentAuditWriter, type AgentAuditWriter } from '@vigil/audit';
import { implementSkill, type AgentContext, type AgentDefinition } from '@vigil/runtime';
import { SOC_AUDIT_VOCABULARY, SOC_SKILLS } from '@vigil/soc';
import { channelsFromConfig, deliveryPolicyFromConfig } from './config.js';
import { Notifier, type SummaryDelivery } from './notifier.js';

/**
 * The notifier agent: `notify` fans one notification out to the declared channels and
 * returns one delivery result per channel; every delivery outcome is audited, a held-back
 * one with its group and reason. Every `summaries.intervalSeconds` it sends the summaries
 * of what was held back, and audits them too; at stop, what is still held back is audited
 * as unsent. Delivery failures are results, not errors: the coordinator's incident never
 * waits on a channel longer than the retry budget.
 */
export function createNotifierAgent(): AgentDefinition {
  let notifier: Notifier | undefined;
  let audit: AgentAuditWriter | undefined;
  let context: AgentContext | undefined;
  let timer: NodeJS.Timeout | undefined;

  const recordSummaries = async (sent: readonly SummaryDelivery[]) => {
    for (const s of sent)
      await audit!.writer.append({
        kind: 'notification',
        actor: context!.spiffeId,
        correlationId: s.summary.incidentId,
        what: {
          kind: 'summary',
          title: s.summary.title,
          heldBack: { ...s.heldBack, incidents: [...s.heldBack.incidents] },
          deliveries: [{ ...s.result }],
        },
        why: {
          rationale: `summary of ${s.heldBack.notifications} notification(s) held back on channel ${s.channel}`,
          dedupKey: s.summary.dedupKey,
        },
      });
  };

  return {
    async start(ctx) {
      context = ctx;
      const config = ctx.system.notifications;
      notifier = new Notifier(
        channelsFromConfig(config, process.env, ctx.logger),
        deliveryPolicyFromConfig(config),
        { logger: ctx.logger },
      );
      audit = await openAgentAuditWriter({
        storage: ctx.system.storage.audit,
        stateDir: ctx.stateDir,
        identity: () => ctx.credentials(),
        kinds: SOC_AUDIT_VOCABULARY.kinds,
      });
      timer = setInterval(
        () =>
          void notifier
            ?.flush()
            .then(recordSummaries)
            .catch((e: unknown) =>
              ctx.logger.error({ error: String(e) }, 'sending held-back summaries failed'),
            ),
        config.summaries.intervalSeconds * 1000,
      );
      timer.unref();
    },
    skills: [
      implementSkill(SOC_SKILLS.notify, async (notification) => {
        const results = await notifier!.notify(notification);
        const held = results.filter((r) => r.status === 'held-back');
        await audit!.writer.append({
          kind: 'notification',
          actor: context!.spiffeId,
          correlationId: notification.incidentId,
          what: {
            kind: notification.kind,
            title: notification.title,
            deliveries: results.map((r) => ({ ...r })),
          },
          why: {
            rationale:
              held.length > 0
                ? `incident ${notification.kind} notification; held back on ${held.map((r) => r.channel).join(', ')} for a summary (${held[0]!.reason === 'similar' ? 'alike to one sent within the window' : 'channel rate limit'})`
                : `incident ${notification.kind} notification`,
            dedupKey: notification.dedupKey,
            ...(notification.group ? { group: notification.group } : {}),
            degraded: notification.degraded,
          },
        });
        return { results };
      }),
    ],
    async stop() {
      if (timer) clearInterval(timer);
      if (notifier && audit && context) {
        // Nothing held back leaves silently: what no summary carried yet is on the record.
        for (const { channel, heldBack } of notifier.heldBack())
          await audit.writer.append({
            kind: 'notification',
            actor: context.spiffeId,
            correlationId: heldBack.incidents.at(-1) ?? 'unknown',
            what: {
              kind: 'summary',
              heldBack: { ...heldBack, incidents: [...heldBack.incidents] },
              deliveries: [],
            },
            why: {
              rationale: `the notifier stopped with ${heldBack.notifications} notification(s) held back on channel ${channel}, unsent`,
            },
          });
      }
      await notifier?.close();
      await audit?.close();
    },
  };
}

export const agent: AgentDefinition = createNotifierAgent();
