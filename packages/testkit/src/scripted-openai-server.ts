import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A scripted OpenAI-compatible chat-completions server on loopback — the one test
 * double of the analyst: no real language model is reachable from this machine. Each
 * request is answered by `script` with the tool-call arguments the "model" returns
 * (or `hang` to never answer, for timeout tests); every request body is recorded.
 */
export interface ScriptedModelServer {
  readonly baseUrl: string;
  readonly requests: readonly ChatRequest[];
  close(): Promise<void>;
}

export interface ChatRequest {
  readonly model: string;
  readonly messages: readonly { role: string; content: unknown }[];
  readonly tools?: readonly { function: { name: string } }[];
}

export type ScriptedReply =
  | { arguments: unknown }
  | { hang: true }
  | { status: number; body: unknown };

export async function startScriptedOpenAiServer(
  script: (request: ChatRequest) => ScriptedReply,
): Promise<ScriptedModelServer> {
  const requests: ChatRequest[] = [];
  const hanging = new Set<() => void>();
  const server: Server = createServer((req, res) => {
    void readJson(req).then((body) => {
      const request = body as ChatRequest;
      requests.push(request);
      const reply = script(request);
      if ('hang' in reply) {
        hanging.add(() => res.destroy());
        return;
      }
      if ('status' in reply) {
        res
          .writeHead(reply.status, { 'content-type': 'application/json' })
          .end(JSON.stringify(reply.body));
        return;
      }
      const toolName = request.tools?.[0]?.function.name ?? 'record_analysis';
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: `chatcmpl-${requests.length}`,
          object: 'chat.completion',
          created: 0,
          model: request.model,
          choices: [
            {
              index: 0,
              finish_reason: 'tool_calls',
              message: {
                role: 'assistant',
                content: null,
                tool_calls: [
                  {
                    id: `call_${requests.length}`,
                    type: 'function',
                    function: { name: toolName, arguments: JSON.stringify(reply.arguments) },
                  },
                ],
              },
            },
          ],
          usage: { prompt_tokens: 321, completion_tokens: 54, total_tokens: 375 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      for (const abort of hanging) abort();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}
