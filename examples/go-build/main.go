// The flask-hello quickstart written against the Go SDK (sdk/go), built by test/unit/sdkgen-gobuild.test.ts
// to prove the generated Go SDK compiles and its API fits a real program. Deploying it needs a Pulumi Go
// language host, which this repository does not build yet.
package main

import (
	"os"

	"example.com/pulumi-modwsgi/sdk/go/modwsgi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		conf := config.New(ctx, "")
		key, err := os.ReadFile(conf.Get("privateKeyFile"))
		if err != nil {
			return err
		}
		provider, err := modwsgi.NewProvider(ctx, "web1", &modwsgi.ProviderArgs{
			Host:       pulumi.String(conf.Require("host")),
			HostKey:    pulumi.StringPtr(conf.Require("hostKey")),
			PrivateKey: pulumi.ToSecret(pulumi.String(string(key))).(pulumi.StringOutput),
		})
		if err != nil {
			return err
		}
		opts := pulumi.Provider(provider)

		mod, err := modwsgi.NewWsgiModule(ctx, "mod-wsgi", &modwsgi.WsgiModuleArgs{
			Version: pulumi.StringPtr("6.1.1"),
		}, opts)
		if err != nil {
			return err
		}
		env, err := modwsgi.NewPythonEnv(ctx, "hello-env", &modwsgi.PythonEnvArgs{
			Name:         pulumi.String("hello"),
			Python:       mod.Python,
			Requirements: pulumi.ToStringArray([]string{"flask==3.1.2"}),
		}, opts, pulumi.DependsOn([]pulumi.Resource{mod}))
		if err != nil {
			return err
		}
		daemon, err := modwsgi.NewDaemonProcess(ctx, "hello", &modwsgi.DaemonProcessArgs{
			Name:       pulumi.String("hello"),
			Threads:    pulumi.IntPtr(5),
			PythonHome: env.Path,
			User:       pulumi.StringPtr("www-data"),
			Group:      pulumi.StringPtr("www-data"),
		}, opts, pulumi.DependsOn([]pulumi.Resource{mod}))
		if err != nil {
			return err
		}
		app, err := modwsgi.NewApplication(ctx, "hello", &modwsgi.ApplicationArgs{
			Name:              pulumi.String("hello"),
			MountPoint:        pulumi.StringPtr("/hello"),
			Source:            pulumi.String("../flask-hello/app"),
			ProcessGroup:      daemon.Name,
			PassAuthorization: pulumi.BoolPtr(true),
			StaticFiles: modwsgi.StaticFilesArray{
				modwsgi.StaticFilesArgs{UrlPath: pulumi.String("/hello/static"), Directory: pulumi.String("static")},
			},
			Environment: pulumi.StringMap{"GREETING": conf.GetSecret("greeting")},
		}, opts)
		if err != nil {
			return err
		}
		ctx.Export("url", pulumi.Sprintf("http://%s%s/", conf.Require("host"), app.MountPoint))
		return nil
	})
}
