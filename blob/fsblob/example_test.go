package fsblob_test

import (
	"context"
	"fmt"
	"log"
	"os"

	"github.com/rampartdev/rampart/blob"
	"github.com/rampartdev/rampart/blob/fsblob"
)

func Example() {
	root, _ := os.MkdirTemp("", "fsblob-example")
	defer os.RemoveAll(root)
	store, err := fsblob.New(root, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	obj, err := store.Put(ctx, "thumbnails/128/Cat.jpg", []byte("jpeg bytes"), blob.PutOptions{
		ContentType:  "image/jpeg",
		CacheControl: "public, max-age=31536000, immutable",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(obj.Key, obj.Size, obj.ETag)

	// Refuse anything over 1 MiB before reading it.
	body, _, err := store.GetWithOptions(ctx, "thumbnails/128/Cat.jpg", blob.GetOptions{MaxBytes: 1 << 20})
	fmt.Println(string(body), err)

	objs, next, _ := store.List(ctx, "thumbnails/", "", 100)
	fmt.Println(len(objs), objs[0].Key, next == "")
	// Output:
	// thumbnails/128/Cat.jpg 10 "2ccd799f3a5130350478899447b6aa06"
	// jpeg bytes <nil>
	// 1 thumbnails/128/Cat.jpg true
}
