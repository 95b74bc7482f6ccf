/**
 * `@vigil/soc-scenario`: the SOC's demo, kept out of the agents. A generator of a
 * realistic, labelled event stream for the demo estate (Kubernetes audit, Falco and OCSF
 * records, eight injected attacks with their ATT&CK techniques; the same seed gives the
 * same bytes) with the estate's inventory, and the `vigil up --demo` driver, which
 * replays `examples/soc-demo/scenario.ndjson` into the detector and follows the incidents.
 * The detector trains its first model on this estate's normal traffic when it has none.
 *
 * @example
 * ```ts
 * import { generateScenario, inventoryYaml } from '@vigil/soc-scenario';
 * const s = generateScenario({ seed: 1, events: 3000 });
 * s.lines;   // NDJSON records, in time order
 * s.labels;  // { line, attack, technique } per record
 * inventoryYaml(s.inventory, s.summary); // the estate the dry-run executor acts on
 * ```
 */
export {
  generateScenario,
  inventoryOf,
  inventoryYaml,
  type Scenario,
  type ScenarioOptions,
  type ScenarioLabel,
  type ScenarioSummary,
} from './generate.js';
export { demo } from './demo/soc-demo.js';
