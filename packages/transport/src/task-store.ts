import type { ListTasksRequest, ListTasksResponse, Task } from '@a2a-js/sdk';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';

/**
 * A {@link TaskStore} that keeps at most `capacity` tasks (oldest evicted first),
 * scoped by tenant and authenticated caller like the SDK's `InMemoryTaskStore`. Skill
 * calls answer with a Message and store nothing; only failed calls leave a Task, and
 * an agent that runs for weeks must not accumulate them without bound.
 */
export class BoundedTaskStore implements TaskStore {
  private readonly tasks = new Map<string, Task>();

  constructor(private readonly capacity = 1000) {}

  private key(taskId: string, context: ServerCallContext): string {
    return `${context.tenant ?? ''}\u0000${context.user?.userName ?? ''}\u0000${taskId}`;
  }

  async load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    return this.tasks.get(this.key(taskId, context));
  }

  async save(task: Task, context: ServerCallContext): Promise<void> {
    const key = this.key(task.id, context);
    this.tasks.delete(key);
    this.tasks.set(key, task);
    while (this.tasks.size > this.capacity) {
      const oldest = this.tasks.keys().next().value;
      if (oldest === undefined) break;
      this.tasks.delete(oldest);
    }
  }

  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const prefix = this.key('', context);
    const matching = [...this.tasks.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .map(([, task]) => task)
      .filter((task) => !params.contextId || task.contextId === params.contextId)
      .filter((task) => !params.status || task.status?.state === params.status);
    const pageSize = Math.min(Math.max(params.pageSize ?? 50, 1), 100);
    return {
      tasks: matching.slice(0, pageSize),
      nextPageToken: '',
      pageSize,
      totalSize: matching.length,
    };
  }
}
