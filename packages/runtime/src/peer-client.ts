import {
  describeIssues,
  type AnySkillContract,
  type AgentContracts,
  type AgentNameOf,
  type ContractOf,
  type SkillIdOf,
  type SkillInput,
  type SkillOutput,
} from '@vigil/core';
import type { AgentClient, CallSkillOptions } from '@vigil/transport';
import { RUNTIME_ERROR_CODES, RuntimeError } from './errors.js';

/**
 * Typed calls to the agents of a system: the peer is one of the contract map's agent
 * names, the skill one of that peer's skill ids, the input and the output those of the
 * skill's contract. The answer is validated against the contract's output schema here,
 * at the caller, so nothing untyped crosses the agent boundary.
 */
export interface PeerClient<M extends AgentContracts> {
  /**
   * Calls `skill` of `peer` over the underlying mTLS A2A client.
   * @throws the transport's errors (see `AgentClient.callSkill`), and RuntimeError
   *   `VIGIL_RUNTIME_SKILL_OUTPUT_INVALID` when the answer is not what the contract says.
   */
  call<P extends AgentNameOf<M>, S extends SkillIdOf<M, P>>(
    peer: P,
    skill: S,
    input: SkillInput<ContractOf<M, P, S>>,
    options?: CallSkillOptions,
  ): Promise<SkillOutput<ContractOf<M, P, S>>>;
}

/**
 * A {@link PeerClient} over `client` for the agents of `contracts` (the system's
 * `defineAgentContracts` map). Whether a call is allowed is still the registry's
 * `calls` graph, checked by the transport.
 */
export function createPeerClient<const M extends AgentContracts>(
  client: AgentClient,
  contracts: M,
): PeerClient<M> {
  return {
    async call(peer, skill, input, options) {
      const contract = contracts[peer]?.find((c) => c.id === skill);
      if (contract === undefined) {
        // Unreachable through the types; a JavaScript caller or a cast gets a clear error.
        throw new RuntimeError(
          RUNTIME_ERROR_CODES.UNKNOWN_SKILL,
          `agent "${peer}" serves no skill "${skill}" in this system's contracts`,
          { details: { agent: peer, skill } },
        );
      }
      return callPeer(
        client,
        peer,
        contract as ContractOf<M, typeof peer, typeof skill>,
        input,
        options,
      );
    },
  };
}

/**
 * Calls `contract` on the agent named `peer` — for a peer chosen at run time (a
 * setting naming which agent plays a role), where {@link PeerClient} cannot type the
 * name. The skill, its input and its output are still typed by the contract, and the
 * answer is validated against the output schema.
 * @throws as {@link PeerClient.call}.
 */
export async function callPeer<C extends AnySkillContract>(
  client: AgentClient,
  peer: string,
  contract: C,
  input: SkillInput<C>,
  options?: CallSkillOptions,
): Promise<SkillOutput<C>> {
  const answer = await client.callSkill(peer, contract.id, input, options);
  const parsed = contract.output.safeParse(answer);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, 'output');
    throw new RuntimeError(
      RUNTIME_ERROR_CODES.SKILL_OUTPUT_INVALID,
      `skill "${contract.id}" of "${peer}" answered outside its contract: ${problems.join('; ')}`,
      { details: { agent: peer, skill: contract.id, problems } },
    );
  }
  return parsed.data as SkillOutput<C>;
}
