import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request } from 'express';

/** `<scheme>://<host>/v3/<project_id>` as the caller reached it: the base of every link in an answer. */
export const ProjectUrl = createParamDecorator((_data: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request>();
  return `${requestBaseUrl(request)}/v3/${String(request.params['projectId'])}`;
});
