import { digestOf } from '@vigil/core';
import { RemediatorError, REMEDIATOR_ERROR_CODES, formatProblems, problemsOf } from '../errors.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Action, ActionPlan, AnyActionDefinition, BlastRadius } from './action.js';

/** An action checked against its definition's schemas, with its digest and definition. */
export interface ParsedAction {
  readonly action: Action;
  /** `sha256:<hex>` of the RFC 8785 canonical action: what verdicts and approvals bind to. */
  readonly digest: string;
  readonly definition: AnyActionDefinition;
}

/** What a reviewer needs about one action: the plan and its blast radius on an inventory. */
export interface ActionAssessment extends ParsedAction {
  readonly blastRadius: BlastRadius;
  readonly plan: ActionPlan;
  readonly reversible: boolean;
}

/**
 * The action catalogue: every action type the remediator can carry out. Extensible:
 * `register` a new {@link ActionDefinition}; `createDefaultRegistry()` holds the built-in
 * catalogue.
 */
export class ActionRegistry {
  readonly #definitions = new Map<string, AnyActionDefinition>();

  /** Adds a type. Throws `VIGIL_REMEDIATOR_DUPLICATE_ACTION` if the type is taken. */
  register(definition: AnyActionDefinition): this {
    if (this.#definitions.has(definition.type)) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.duplicateAction,
        `action type "${definition.type}" is already registered`,
      );
    }
    this.#definitions.set(definition.type, definition);
    return this;
  }

  has(type: string): boolean {
    return this.#definitions.has(type);
  }

  /** The definition of `type`; throws `VIGIL_REMEDIATOR_UNKNOWN_ACTION`. */
  get(type: string): AnyActionDefinition {
    const definition = this.#definitions.get(type);
    if (!definition) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.unknownAction,
        `unknown action type "${type}" (known: ${this.types().join(', ')})`,
        { details: { type } },
      );
    }
    return definition;
  }

  types(): string[] {
    return [...this.#definitions.keys()];
  }

  definitions(): AnyActionDefinition[] {
    return [...this.#definitions.values()];
  }

  /**
   * Validates `value` as an action of a registered type: its target and parameters
   * against the type's schemas (defaults applied). Throws `VIGIL_REMEDIATOR_INVALID`
   * naming each bad field, or `VIGIL_REMEDIATOR_UNKNOWN_ACTION`.
   */
  parse(value: unknown): ParsedAction {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new RemediatorError(REMEDIATOR_ERROR_CODES.invalid, 'action: expected an object');
    }
    const raw = value as Record<string, unknown>;
    if (typeof raw['type'] !== 'string') {
      throw new RemediatorError(REMEDIATOR_ERROR_CODES.invalid, 'action.type: expected a string');
    }
    const definition = this.get(raw['type']);
    const target = definition.target.safeParse(raw['target'] ?? {});
    const parameters = definition.parameters.safeParse(raw['parameters'] ?? {});
    const problems = [
      ...(target.success ? [] : problemsOf(target.error.issues, 'target')),
      ...(parameters.success ? [] : problemsOf(parameters.error.issues, 'parameters')),
    ];
    const extra = Object.keys(raw).filter((k) => !['type', 'target', 'parameters'].includes(k));
    for (const k of extra) problems.push({ path: k, message: 'unknown field' });
    if (problems.length > 0 || !target.success || !parameters.success) {
      throw new RemediatorError(
        REMEDIATOR_ERROR_CODES.invalid,
        `${definition.type}: invalid action: ${formatProblems(problems)}`,
        { details: { type: definition.type, problems } },
      );
    }
    const action: Action = Object.freeze({
      type: definition.type,
      target: Object.freeze(target.data),
      parameters: Object.freeze(parameters.data),
    });
    return Object.freeze({ action, digest: digestOf(action), definition });
  }

  /** Parses `value`, then plans it and computes its blast radius on `inventory`. */
  assess(value: unknown, inventory: Inventory): ActionAssessment {
    const parsed = this.parse(value);
    const blastRadius = parsed.definition.blastRadius(parsed.action, inventory);
    const plan = parsed.definition.plan(parsed.action, inventory) as ActionPlan;
    return Object.freeze({
      ...parsed,
      blastRadius,
      plan,
      reversible: parsed.definition.reversible,
    });
  }
}
