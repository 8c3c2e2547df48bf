import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { type AuthContext } from '../auth-context';

/** The verified caller of this request. */
export const CurrentAuth = createParamDecorator((_data: unknown, context: ExecutionContext): AuthContext => {
  return context.switchToHttp().getRequest<{ user: AuthContext }>().user;
});
