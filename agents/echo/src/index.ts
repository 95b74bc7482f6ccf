/**
 * `@vigil/echo`: the built-in echo agent that exercises the harness without the SOC.
 * `echo` returns its input and the authenticated caller; `relay` forwards to the next
 * agent of its `calls` over mutual-TLS A2A. `demo` is the harness demo driver of
 * `vigil up --demo`.
 *
 * @example
 * ```yaml
 * agents:
 *   - name: front
 *     implementation: '@vigil/echo'
 *     skills: [{ id: relay, … }, { id: echo, … }]
 *     calls: [back]
 *   - name: back
 *     implementation: '@vigil/echo'
 *     skills: [{ id: echo, … }]
 * ```
 */
export { agent } from './agent.js';
export {
  ECHO_SKILLS,
  echoOutputSchema,
  relayOutputSchema,
  type EchoOutput,
  type RelayOutput,
} from './contracts.js';
export { demo } from './demo.js';
export { EchoError, EchoSettingsSchema, parseEchoSettings, type EchoSettings } from './settings.js';
