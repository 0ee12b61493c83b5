using Mono.Cecil;
using Mono.Cecil.Cil;

namespace LongJobs.Server.Tests.Architecture;

/// <summary>One namespace's use of another, with the type references that make it.</summary>
/// <param name="From">The using namespace.</param>
/// <param name="To">The used namespace.</param>
/// <param name="Examples">"A uses B" for each pair of types, A in <paramref name="From"/> and B in <paramref name="To"/>.</param>
internal sealed record NamespaceDependency(string From, string To, IReadOnlyCollection<string> Examples);

/// <summary>
/// Reads which of an assembly's namespaces use which from its compiled code with Mono.Cecil: base types, interfaces,
/// attributes, the types in every signature (fields, properties, events, methods, generic constraints) and in method
/// bodies (locals, catch clauses, and every type, method and field an instruction refers to). A nested type, such as
/// a lambda's closure or an async state machine, counts as its outermost type.
/// </summary>
internal static class NamespaceDependencies
{
    public static IReadOnlyList<NamespaceDependency> Read(string assemblyPath)
    {
        using var module = ModuleDefinition.ReadModule(assemblyPath);
        var uses = new Dictionary<(string From, string To), SortedSet<string>>();
        foreach (var type in module.GetTypes())
        {
            var from = Outermost(type);
            if (!Layers.Owns(from.Namespace))
            {
                continue;
            }

            foreach (var used in References(type).SelectMany(Expand))
            {
                if (used.Scope != module || used is GenericParameter)
                {
                    continue;
                }

                var to = Outermost(used);
                if (to.Namespace != from.Namespace && Layers.Owns(to.Namespace))
                {
                    var key = (from.Namespace, to.Namespace);
                    if (!uses.TryGetValue(key, out var examples))
                    {
                        uses[key] = examples = new SortedSet<string>(StringComparer.Ordinal);
                    }

                    examples.Add($"{from.FullName} uses {to.FullName}");
                }
            }
        }

        return [.. uses.Select(use => new NamespaceDependency(use.Key.From, use.Key.To, use.Value))];
    }

    /// <summary>The cycles among namespaces: each strongly connected group of two or more, as the dependencies inside it.</summary>
    public static IReadOnlyList<IReadOnlyList<NamespaceDependency>> Cycles(IReadOnlyList<NamespaceDependency> dependencies)
    {
        var reaches = dependencies.GroupBy(dependency => dependency.From).ToDictionary(group => group.Key, group => group.Select(dependency => dependency.To).ToHashSet());
        var namespaces = dependencies.SelectMany(dependency => new[] { dependency.From, dependency.To }).Distinct().ToList();
        HashSet<string> Reachable(string start)
        {
            var seen = new HashSet<string>();
            var next = new Stack<string>([start]);
            while (next.TryPop(out var ns))
            {
                foreach (var to in reaches.GetValueOrDefault(ns) ?? [])
                {
                    if (seen.Add(to))
                    {
                        next.Push(to);
                    }
                }
            }

            return seen;
        }

        var reachable = namespaces.ToDictionary(ns => ns, Reachable);
        var groups = namespaces
            .Where(ns => reachable[ns].Contains(ns))
            .GroupBy(ns => string.Join(",", namespaces.Where(other => reachable[ns].Contains(other) && reachable[other].Contains(ns)).Order(StringComparer.Ordinal)))
            .Select(group => group.ToHashSet());
        return [.. groups.Select(group => (IReadOnlyList<NamespaceDependency>)[.. dependencies.Where(dependency => group.Contains(dependency.From) && group.Contains(dependency.To))])];
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type;
    }

    private static IEnumerable<TypeReference> References(TypeDefinition type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (var reference in type.Interfaces.Select(implementation => implementation.InterfaceType)
            .Concat(Attributes(type))
            .Concat(GenericParameters(type.GenericParameters))
            .Concat(type.Fields.SelectMany(field => Attributes(field).Append(field.FieldType)))
            .Concat(type.Properties.SelectMany(property => Attributes(property).Append(property.PropertyType)))
            .Concat(type.Events.SelectMany(@event => Attributes(@event).Append(@event.EventType)))
            .Concat(type.Methods.SelectMany(Method)))
        {
            yield return reference;
        }
    }

    private static IEnumerable<TypeReference> Method(MethodDefinition method)
    {
        var signature = Attributes(method)
            .Concat(Attributes(method.MethodReturnType))
            .Concat(GenericParameters(method.GenericParameters))
            .Concat(method.Parameters.SelectMany(parameter => Attributes(parameter).Append(parameter.ParameterType)))
            .Concat(method.Overrides.SelectMany(Members))
            .Append(method.ReturnType);
        if (!method.HasBody)
        {
            return signature;
        }

        var body = method.Body;
        return signature
            .Concat(body.Variables.Select(variable => variable.VariableType))
            .Concat(body.ExceptionHandlers.Select(handler => handler.CatchType).OfType<TypeReference>())
            .Concat(body.Instructions.SelectMany(Operand));
    }

    private static IEnumerable<TypeReference> Operand(Instruction instruction) => instruction.Operand switch
    {
        TypeReference type => [type],
        MethodReference method => Members(method),
        FieldReference field => [field.DeclaringType, field.FieldType],
        _ => [],
    };

    private static IEnumerable<TypeReference> Members(MethodReference method)
    {
        IEnumerable<TypeReference> types = [method.DeclaringType, method.ReturnType, .. method.Parameters.Select(parameter => parameter.ParameterType)];
        return method is GenericInstanceMethod generic ? types.Concat(generic.GenericArguments) : types;
    }

    private static IEnumerable<TypeReference> GenericParameters(IEnumerable<GenericParameter> parameters) =>
        parameters.SelectMany(parameter => Attributes(parameter).Concat(parameter.Constraints.SelectMany(constraint => Attributes(constraint).Append(constraint.ConstraintType))));

    private static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider provider) =>
        provider.CustomAttributes.SelectMany(attribute => attribute.ConstructorArguments
            .Concat(attribute.Properties.Select(property => property.Argument))
            .Concat(attribute.Fields.Select(field => field.Argument))
            .SelectMany(Argument)
            .Append(attribute.AttributeType));

    private static IEnumerable<TypeReference> Argument(CustomAttributeArgument argument) => argument.Value switch
    {
        TypeReference type => [argument.Type, type],
        CustomAttributeArgument[] items => items.SelectMany(Argument).Prepend(argument.Type),
        CustomAttributeArgument boxed => Argument(boxed).Prepend(argument.Type),
        _ => [argument.Type],
    };

    /// <summary>A type and the types it is built from: generic arguments, array and pointer elements, modifiers.</summary>
    private static IEnumerable<TypeReference> Expand(TypeReference type) => type switch
    {
        GenericInstanceType generic => Expand(generic.ElementType).Concat(generic.GenericArguments.SelectMany(Expand)),
        RequiredModifierType modified => Expand(modified.ElementType).Concat(Expand(modified.ModifierType)),
        OptionalModifierType modified => Expand(modified.ElementType).Concat(Expand(modified.ModifierType)),
        FunctionPointerType pointer => Expand(pointer.ReturnType).Concat(pointer.Parameters.SelectMany(parameter => Expand(parameter.ParameterType))),
        TypeSpecification specification => Expand(specification.ElementType),
        _ => [type],
    };
}
