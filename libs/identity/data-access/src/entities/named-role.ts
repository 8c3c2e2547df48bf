export interface NamedRole {
  id: string;
  name: string;
}
